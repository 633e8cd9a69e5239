import ArgumentParser
import Foundation
import Hallmark
import HallmarkFingerprint

/// `hallmark fingerprint`: the content fingerprint on its own, for evaluation and calibration.
struct FingerprintGroup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fingerprint",
        abstract: "Content fingerprints on their own: compare two clips, measure the false-match null.",
        subcommands: [FingerprintCompareCommand.self, FingerprintNullCommand.self])
}

struct FingerprintCompareCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Align SUSPECT against SOURCE; print offset, similarity and the false-match probability as JSON.")

    @Argument(help: "The source clip.") var source: String
    @Argument(help: "The suspect clip.") var suspect: String
    @Option(help: "Index size the probability is multiplied by.") var references: Int = 1

    func run() async throws {
        try reportingErrors {
            let reference = try ClipFingerprint.of(URL(fileURLWithPath: source))
            let query = try ClipFingerprint.of(URL(fileURLWithPath: suspect), suspect: true)
            let model = FalseMatchModel.calibrated
            var object: [String: Any] = ["source": source, "suspect": suspect, "sourceSamples": reference.hashes.count, "suspectSamples": query.hashes.count]
            if let alignment = SequenceMatcher().align(query, with: reference) {
                object["offsetSeconds"] = alignment.offsetSeconds
                object["flipped"] = alignment.flipped
                object["crop"] = alignment.crop
                object["aboveCaptions"] = alignment.aboveCaptions
                object["pairs"] = alignment.pairs
                object["independentSamples"] = alignment.independentSamples
                object["similarity"] = alignment.similarity
                object["alignmentsTried"] = alignment.alignmentsTried
                object["log10FalseMatch"] = model.log10FalseMatch(alignment, references: references)
            }
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        }
    }
}

struct FingerprintNullCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "null",
        abstract: "The false-match null: excerpts of each clip aligned against every other clip.",
        discussion: """
            Every clip is fingerprinted once. Excerpts of each clip (every length in --lengths, starting \
            every --hop seconds) are aligned against every other clip, as a suspect against a reference; \
            each (excerpt, reference) is one unrelated pair. Prints the number of pairs, the \
            best-alignment similarity distribution, the fitted model and the empirical tail against it.
            """)

    @Argument(help: "Unrelated clips (none a copy of another).") var clips: [String]
    @Option(help: "Excerpt lengths in seconds, separated by commas.") var lengths: String = "1.5,3,6"
    @Option(help: "Seconds between excerpt starts.") var hop: Double = 0.5
    @Option(help: "Write every pair's best alignment here as TSV.") var tsv: String?

    func run() async throws {
        try reportingErrors {
            let prints = try clips.map { try ClipFingerprint.of(URL(fileURLWithPath: $0), suspect: true) }
            let lengthList = lengths.split(separator: ",").compactMap { Double($0) }
            let matcher = SequenceMatcher()
            var rows: [(Alignment, String)] = []
            for (i, source) in prints.enumerated() {
                for length in lengthList {
                    let count = Int((length / Fingerprint.step).rounded())
                    guard count <= source.hashes.count else { continue }
                    var start = 0
                    while start + count <= source.hashes.count {
                        let excerpt = source.excerpt(start..<(start + count))
                        for (k, reference) in prints.enumerated() where k != i {
                            if let a = matcher.align(excerpt, with: Fingerprint(hashes: reference.hashes, aboveCaptions: reference.aboveCaptions)) {
                                rows.append((a, "\(i)\t\(k)\t\(length)\t\(start)"))
                            }
                        }
                        start += max(1, Int((hop / Fingerprint.step).rounded()))
                    }
                }
            }
            let model = FalseMatchModel.calibrated
            var out = "pairs\t\(rows.count)\n"
            let similarities = rows.map(\.0.similarity).sorted()
            for q in [0.5, 0.9, 0.99, 0.999, 1.0] {
                let v = similarities[min(similarities.count - 1, Int(Double(similarities.count - 1) * q))]
                out += String(format: "similarity quantile %.3f\t%.4f\n", q, v)
            }
            // Empirical tail of the model probability (per reference, alignments included).
            let logs = rows.map { model.log10FalseMatch($0.0, references: 1) }
            for level in [-1.0, -2.0, -3.0, -4.0, -6.0, -9.0] {
                let n = logs.filter { $0 <= level }.count
                out += String(format: "model p <= 1e%.0f\t%d of %d (expected at most %.3g)\n", level, n, rows.count, Double(rows.count) * pow(10, level))
            }
            if let best = rows.max(by: { $0.0.similarity < $1.0.similarity }) {
                out += "best near-miss\t\(best.1)\tsimilarity \(best.0.similarity) independent \(best.0.independentSamples) pairs \(best.0.pairs) log10p \(model.log10FalseMatch(best.0, references: 1))\n"
            }
            print(out, terminator: "")
            if let tsv {
                var text = "clip\treference\tlength\tstart\tsimilarity\tpairs\tindependent\ttried\tflipped\tcrop\taboveCaptions\n"
                for (a, key) in rows {
                    text += "\(key)\t\(a.similarity)\t\(a.pairs)\t\(a.independentSamples)\t\(a.alignmentsTried)\t\(a.flipped)\t\(a.crop)\t\(a.aboveCaptions)\n"
                }
                try text.write(toFile: tsv, atomically: true, encoding: .utf8)
            }
        }
    }
}
