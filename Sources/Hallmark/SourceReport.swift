import Foundation
import HallmarkFingerprint
import HallmarkMedia
import HallmarkRegistry

extension VerificationReport {
    /// Reverse search: the stamped source clips the suspect's frames come from, by content.
    public struct Source: Sendable, Codable {
        public struct Match: Sendable, Codable {
            public var sourceId: String
            public var clipLabel: String?
            /// The accounts copies of this source were issued to.
            public var accounts: [String]
            public var markIds: [String]
            /// Where the suspect's first frame falls in the source, in seconds.
            public var offsetSeconds: Double
            /// Seconds of informative frames aligned.
            public var durationMatched: Double
            /// Fraction of fingerprint bits that agree (0.5 is chance; unrelated clips reach about 0.8 at best).
            public var similarity: Double
            /// Calibrated on the measured null, multiplied by the alignments tried and the index size.
            public var falseMatchProbability: Double
            public var log10FalseMatchProbability: Double
            /// True when the model's number is below 1e-15, beyond what was measured: read it as a bound.
            public var probabilityIsBound: Bool
            public var mirrored: Bool
            /// The centred crop (fraction of each side) the suspect matched as (1: none).
            public var crop: Double
            /// Matched on the picture above the caption band only (a caption, subtitle or text
            /// added at the bottom of the copy).
            public var aboveCaptions: Bool
        }

        /// Best first; empty when nothing matches.
        public var matches: [Match]
        /// The best candidate that did not reach the threshold (NOT a match), if any.
        public var nearMiss: Match?
        /// Source fingerprints in the registry.
        public var indexSize: Int
        /// Matches are reported at or below this false-match probability.
        public var threshold: Double
        public var note: String?

        public static func unavailable(_ note: String) -> Source {
            Source(matches: [], nearMiss: nil, indexSize: 0, threshold: SourceSearch().threshold, note: note)
        }
    }
}

extension SourceSearch {
    /// The report section for `suspect` searched in `registry`.
    public func report(_ suspect: Fingerprint, registry: (any MarkRegistry)?) -> VerificationReport.Source {
        findings(suspect, registry: registry).section
    }

    /// The report section, and the best match's frames beside the suspect's for the HTML report.
    func findings(_ suspect: Fingerprint, registry: (any MarkRegistry)?) -> (section: VerificationReport.Source, frames: [VerificationDetails.FramePair]) {
        guard let registry else { return (.unavailable("no registry: nothing to search"), []) }
        do {
            let outcome = try search(suspect, in: registry)
            let matches = try outcome.matches.map { try Self.match($0, registry: registry) }
            let nearMiss = try outcome.nearMiss.map { try Self.match($0, registry: registry) }
            var note: String? = nil
            if outcome.indexSize == 0 { note = "the registry holds no fingerprints (stamps before this version: `hallmark registry backfill`)" }
            else if suspect.hashes.allSatisfy({ !$0.informative }) { note = "the clip's frames are too flat to fingerprint" }
            let section = VerificationReport.Source(matches: matches, nearMiss: nearMiss, indexSize: outcome.indexSize, threshold: threshold, note: note)
            return (section, outcome.matches.first.map { Self.framePairs(suspect, $0) } ?? [])
        } catch {
            return (.unavailable("search failed: \(error)"), [])
        }
    }

    /// Up to four of the suspect's thumbnails, each with the source's nearest in aligned time.
    static func framePairs(_ suspect: Fingerprint, _ match: Candidate) -> [VerificationDetails.FramePair] {
        let offset = match.alignment.offset
        let usable = suspect.thumbnails.compactMap { mine -> (FrameThumbnail, FrameThumbnail)? in
            guard let theirs = match.reference.thumbnail(near: mine.sample + offset),
                  abs(theirs.sample - (mine.sample + offset)) <= Fingerprint.thumbnailEvery / 2 else { return nil }
            return (mine, theirs)
        }
        guard !usable.isEmpty else { return [] }
        let count = min(4, usable.count)
        let picks = Array(Set((0..<count).map { $0 * (usable.count - 1) / max(1, count - 1) })).sorted()
        return picks.compactMap { index in
            let (mine, theirs) = usable[index]
            guard let a = try? ImageEncoder.png(gray: mine.pixels, width: mine.width, height: mine.height),
                  let b = try? ImageEncoder.png(gray: theirs.pixels, width: theirs.width, height: theirs.height) else { return nil }
            return .init(suspectTime: Double(mine.sample) * Fingerprint.step, sourceTime: Double(theirs.sample) * Fingerprint.step,
                         suspect: .init(time: Double(mine.sample) * Fingerprint.step, png: a, width: mine.width, height: mine.height),
                         source: .init(time: Double(theirs.sample) * Fingerprint.step, png: b, width: theirs.width, height: theirs.height))
        }
    }

    static func match(_ candidate: Candidate, registry: any MarkRegistry) throws -> VerificationReport.Source.Match {
        let records = try registry.records(sourceId: candidate.sourceId)
        let a = candidate.alignment
        let log10p = candidate.log10FalseMatch
        return .init(sourceId: candidate.sourceId, clipLabel: records.compactMap(\.clipLabel).first,
                     accounts: Array(Set(records.map(\.account))).sorted(), markIds: records.map { MarkID.hex($0.markId) },
                     offsetSeconds: a.offsetSeconds, durationMatched: a.durationMatched, similarity: a.similarity,
                     falseMatchProbability: pow(10, log10p), log10FalseMatchProbability: log10p,
                     probabilityIsBound: log10p < -15, mirrored: a.flipped, crop: a.crop, aboveCaptions: a.aboveCaptions)
    }
}

extension VerificationReport.Source {
    /// The report lines for people.
    public func textLines() -> [String] {
        var lines: [String] = []
        if matches.isEmpty {
            lines.append("source (reverse search): no match among \(indexSize) fingerprinted source(s)" + (note.map { " (\($0))" } ?? ""))
        }
        for match in matches {
            lines.append("source (reverse search): \(match.sourceId.prefix(16))" + (match.clipLabel.map { " \"\($0)\"" } ?? "")
                         + String(format: " at %.2f s, %.1f s matched, similarity %.3f", match.offsetSeconds, match.durationMatched, match.similarity)
                         + (match.mirrored ? ", mirrored" : "") + (match.crop < 1 ? String(format: ", cropped to %.2f", match.crop) : "")
                         + (match.aboveCaptions ? ", above the caption band" : ""))
            lines.append("  false-match probability: \(Self.text(match)) (index of \(indexSize)); issued to \(match.accounts.joined(separator: ", ")) (marks \(match.markIds.joined(separator: ", ")))")
        }
        if let miss = nearMiss {
            lines.append(String(format: "  best near-miss (NOT a match): %@ at %.2f s, similarity %.3f, %.1f s, false-match probability %@",
                                String(miss.sourceId.prefix(16)), miss.offsetSeconds, miss.similarity, miss.durationMatched, Self.text(miss)))
        }
        return lines
    }

    static func text(_ match: Match) -> String {
        VerificationReport.probability(match.falseMatchProbability, log10: match.log10FalseMatchProbability)
    }

    /// JSON of this section alone (what `hallmark search` prints), absent values as null.
    public func json(file: String? = nil) -> String {
        guard let data = try? JSONEncoder().encode(self),
              var object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return "{}" }
        for key in ["nearMiss", "note"] where object[key] == nil { object[key] = NSNull() }
        if let file { object["file"] = file }
        let out = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes])
        return out.map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}
