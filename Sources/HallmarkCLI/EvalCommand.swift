import ArgumentParser
import Foundation
import Hallmark

struct EvalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Stamp an excerpt of a clip, attack it with the whole attack matrix, verify every copy, print a table.",
        discussion: "Uses a fresh random key and a throw-away registry, so nothing touches your home. Attacked copies are made with libavfilter and libavcodec (H.264 veryfast unless a row says otherwise).")

    @Argument(help: "The clip to evaluate on.")
    var input: String

    @Option(help: "Start of the excerpt in seconds.")
    var start: Double = 0

    @Option(help: "Length of the excerpt in seconds.")
    var duration: Double = 3

    @Option(help: "Only run attacks whose name contains one of these texts, separated by '|'.")
    var only: String?

    @Option(help: ArgumentHelp("Also write the table as JSON to this file.", valueName: "file"))
    var json: String?

    @Option(help: "Invisible mark amplitude relative to the default (0.25-1), as `stamp --strength`.")
    var strength: Float = 1

    @Option(help: ArgumentHelp("Run the matrix at each of these strengths (e.g. 0.5,0.7,1) and print the robustness-versus-bitrate curve instead of the table.", valueName: "list"))
    var strengthSweep: String?

    var sweep: [Float] { strengthSweep?.split(separator: ",").compactMap { Float($0.trimmingCharacters(in: .whitespaces)) } ?? [] }

    @Option(help: "Copies of the excerpt stamped for as many accounts, for the collusion rows (averages, interleave, splice); 1: none.")
    var copies: Int = 4

    @Option(help: ArgumentHelp("Scale and centre-crop the excerpt to this size first, as a generator's output (e.g. 640x272).", valueName: "WxH"))
    var size: String?

    var sourceSize: (width: Int, height: Int)? {
        guard let size else { return nil }
        let parts = size.lowercased().split(separator: "x").compactMap { Int($0) }
        return parts.count == 2 ? (parts[0], parts[1]) : nil
    }

    func validate() throws {
        guard duration > 0, start >= 0 else { throw ValidationError("--start must be >= 0 and --duration > 0") }
        guard (0.25...1).contains(strength) else { throw ValidationError("--strength must be between 0.25 and 1") }
        if strengthSweep != nil {
            guard !sweep.isEmpty, sweep.allSatisfy({ (0.25...1).contains($0) }) else {
                throw ValidationError("--strength-sweep: strengths from 0.25 to 1 separated by commas, e.g. 0.5,0.7,1")
            }
        }
        guard (1...8).contains(copies) else { throw ValidationError("--copies must be between 1 and 8") }
        if size != nil {
            guard let (w, h) = sourceSize, (64...8192).contains(w), (64...8192).contains(h), w % 2 == 0, h % 2 == 0 else {
                throw ValidationError("--size must be WIDTHxHEIGHT, even numbers from 64 to 8192 (e.g. 640x272)")
            }
        }
    }

    func makeEvaluator(strength: Float) -> Evaluator {
        let evaluator = Evaluator()
        evaluator.excerptStart = start
        evaluator.excerptDuration = duration
        evaluator.strength = strength
        evaluator.collusionCopies = copies
        evaluator.sourceSize = sourceSize
        if let only {
            let wanted = only.split(separator: "|").map(String.init)
            evaluator.attacks = [Attack.matrix[0]] + Attack.matrix.dropFirst().filter { attack in wanted.contains { attack.name.contains($0) } }
            evaluator.includeCollusionRow = { name in wanted.contains { name.contains($0) } }
        }
        return evaluator
    }

    func run() async throws {
        if !sweep.isEmpty { return try await runSweep() }
        try await reportingErrors {
            let evaluator = makeEvaluator(strength: strength)
            let work = FileManager.default.temporaryDirectory.appendingPathComponent("hallmark-eval-\(UUID().uuidString.prefix(8))")
            defer { try? FileManager.default.removeItem(at: work) }
            FileHandle.standardOutput.write(Data("| attack | detected | mark id correct | bit accuracy | p-value | PSNR (dB) | time (s) | accounts named / contributors | innocents named | false accusation |\n|---|---|---|---|---|---|---|---|---|---|\n".utf8))
            let summary = try await evaluator.run(input: URL(fileURLWithPath: input), workDirectory: work) { row in
                // Unbuffered, so a long run shows each row as it finishes.
                FileHandle.standardOutput.write(Data((EvalCommand.format(row) + "\n").utf8))
            }
            let missed = summary.rows.filter { $0.contributors == 1 && !$0.markIdCorrect && !$0.mayFail }.count
            let wrong = summary.rows.filter(\.wrongId).count
            print("")
            print(String(format: "invisible layer alone: PSNR %.2f dB, SSIM %.4f (each frame with the mark vs without, before encoding)", summary.layerPSNR, summary.layerSSIM))
            print(String(format: "delivered file: PSNR %.2f dB, SSIM %.4f (stamped clip vs the same encode without the mark; includes the encoder rounding two different pictures differently)", summary.deliveredPSNR, summary.deliveredSSIM))
            let single = summary.rows.filter { $0.contributors == 1 }, mixed = summary.rows.filter { $0.contributors > 1 }
            print("exact id: \(single.filter(\.markIdCorrect).count)/\(single.count); misses on required rows: \(missed); wrong ids: \(wrong)")
            print("account named (decoded or informed): \(single.filter { $0.contributorsNamed == 1 }.count)/\(single.count) single-copy rows"
                  + (mixed.isEmpty ? "" : "; collusion rows: \(mixed.map(\.contributorsNamed).reduce(0, +)) of \(mixed.map(\.contributors).reduce(0, +)) contributors named")
                  + "; innocent accounts named: \(summary.rows.map(\.innocentsNamed).reduce(0, +))")
            print(Self.bitrateLine(summary.bitrate))
            if let json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                try encoder.encode(summary).write(to: URL(fileURLWithPath: json))
            }
        }
    }

    /// One matrix per strength (a fresh key each), summarised as one line of the curve.
    func runSweep() async throws {
        try await reportingErrors {
            print("| strength | bitrate CRF 18 | bitrate CRF 23 | detected | exact id | account named | innocents named | wrong ids |")
            print("|---|---|---|---|---|---|---|---|")
            var summaries: [Float: EvaluationSummary] = [:]
            for strength in sweep {
                let work = FileManager.default.temporaryDirectory.appendingPathComponent("hallmark-eval-\(UUID().uuidString.prefix(8))")
                defer { try? FileManager.default.removeItem(at: work) }
                let summary = try await makeEvaluator(strength: strength).run(input: URL(fileURLWithPath: input), workDirectory: work)
                summaries[strength] = summary
                let single = summary.rows.filter { $0.contributors == 1 && $0.error == nil }
                func ratio(_ crf: Int) -> String { summary.bitrate.first { $0.crf == crf }.map { String(format: "%.3fx", $0.ratio) } ?? "-" }
                print("| \(strength) | \(ratio(18)) | \(ratio(23)) | \(single.filter(\.detected).count)/\(single.count) | \(single.filter(\.markIdCorrect).count)/\(single.count) "
                      + "| \(single.filter { $0.contributorsNamed == 1 }.count)/\(single.count) | \(summary.rows.map(\.innocentsNamed).reduce(0, +)) | \(summary.rows.filter(\.wrongId).count) |")
            }
            if let json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                try encoder.encode(Dictionary(uniqueKeysWithValues: summaries.map { ("\($0.key)", $0.value) })).write(to: URL(fileURLWithPath: json))
            }
        }
    }

    /// "bitrate cost of the invisible mark (video stream, ...): CRF 18 1.241x, CRF 23 1.302x".
    static func bitrateLine(_ costs: [BitrateCost]) -> String {
        "bitrate cost of the invisible mark (video bytes, stamped vs the same encode without it): "
            + costs.map { String(format: "CRF %d %.3fx (%lld vs %lld bytes)", $0.crf, $0.ratio, $0.markedBytes, $0.plainBytes) }.joined(separator: ", ")
    }

    static func format(_ row: EvaluationRow) -> String {
        if let error = row.error { return "| \(row.attack) | error | - | - | - | - | - | (\(error))" }
        let p = row.pValue < 1e-300 || row.pValue == 0 ? String(format: "1e%.0f", row.log10PValue) : String(format: "%.1e", row.pValue)
        let psnr = row.psnr.map { $0.isInfinite ? "inf" : String(format: "%.1f", $0) } ?? "-"
        let correct = row.markIdCorrect ? "yes" : (row.wrongId ? "WRONG" : "no")
        let accusation = row.falseAccusationProbability.map { $0 < 1e-15 ? "below 1e-15" : String(format: "%.1e", $0) } ?? "-"
        let correctColumn = row.decodedAContributor ? "one of them" : correct
        return "| \(row.attack) | \(row.detected ? "yes" : "no") | \(correctColumn) | \(String(format: "%.2f", row.bitAccuracy)) | \(p) | \(psnr) | \(String(format: "%.2f", row.seconds)) | \(row.contributorsNamed)/\(row.contributors) | \(row.innocentsNamed) | \(accusation) |"
    }
}
