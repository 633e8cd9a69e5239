import Foundation
import HallmarkFingerprint
import HallmarkRegistry

/// Reverse video search: which stamped source clips a suspect's frames come from, found by
/// content fingerprint in the registry (whether or not the watermark survived).
///
/// Lookup is multi-index hashing: each reference sample (every second one, four a second) is
/// indexed under the four 16-bit substrings of each of its two hashes (the whole region, and
/// above the caption band); a suspect sample that differs from its source in
/// few bits shares at least one substring exactly (at most 3 differing bits: always). Every hit
/// votes for a (source, offset); the best-voted sources are then aligned exactly over the whole
/// suspect. A registry of at most `exhaustiveBelow` fingerprints is simply aligned in full.
public struct SourceSearch: Sendable {
    public var model = FalseMatchModel.calibrated
    /// Report a match at or below this false-match probability (after multiplying by the index
    /// size and the alignments tried); the best weaker candidate is shown as a near-miss.
    public var threshold = 1e-6
    public var exhaustiveBelow = 256
    /// Sources aligned exactly after the vote.
    public var candidates = 16
    /// A match needs at least this many seconds of informative aligned frames.
    public var minimumDuration = 1.0

    public init() {}

    /// Reference samples indexed: every `indexStride`-th.
    static let indexStride = 2

    /// The index keys of a reference fingerprint.
    public static func keys(_ fingerprint: Fingerprint) -> [StoredFingerprint.Key] {
        var keys: [StoredFingerprint.Key] = []
        for (i, hash) in fingerprint.hashes.enumerated() where i % indexStride == 0 && hash.informative {
            for k in substringKeys(hash.bits, aboveCaptions: false) { keys.append(.init(key: k, sample: Int32(i))) }
        }
        if fingerprint.hasCaptionHashes {
            for (i, hash) in fingerprint.aboveCaptions.enumerated() where i % indexStride == 0 && hash.informative {
                for k in substringKeys(hash.bits, aboveCaptions: true) { keys.append(.init(key: k, sample: Int32(i))) }
            }
        }
        return keys
    }

    /// The four 16-bit substrings of a hash as keys: substring number (0-3; 4-7 for a hash above
    /// the caption band, so the two kinds never vote for each other) in bits 16-18, value below.
    @inline(__always)
    static func substringKeys(_ bits: UInt64, aboveCaptions: Bool) -> [Int64] {
        let family: Int64 = aboveCaptions ? 4 : 0
        return (0..<4).map { (family + Int64($0)) << 16 | Int64((bits >> UInt64(16 * $0)) & 0xFFFF) }
    }

    /// What the registry stores for a source clip.
    public static func stored(_ fingerprint: Fingerprint, sourceId: String) -> StoredFingerprint {
        StoredFingerprint(sourceId: sourceId, samples: Data(fingerprint.encoded()), keys: keys(fingerprint))
    }

    /// One source that matched (or the best that did not).
    public struct Candidate: Sendable {
        public var fingerprintId: Int64
        public var sourceId: String
        public var alignment: Alignment
        public var log10FalseMatch: Double
        /// The source's fingerprint as stored (its thumbnails, for reports).
        public var reference: Fingerprint
    }

    public struct Outcome: Sendable {
        public var matches: [Candidate]
        public var nearMiss: Candidate?
        public var indexSize: Int
        /// Sources aligned exactly.
        public var scored: Int
    }

    /// Searches `index` for the sources of `suspect` (built with `FingerprintBuilder(suspect: true)`).
    public func search(_ suspect: Fingerprint, in index: any FingerprintIndex) throws -> Outcome {
        let size = try index.fingerprintCount()
        guard size > 0, !suspect.hashes.isEmpty else { return Outcome(matches: [], nearMiss: nil, indexSize: size, scored: 0) }
        let rows: [FingerprintRow]
        if size <= exhaustiveBelow {
            rows = try index.allFingerprints(limit: exhaustiveBelow)
        } else {
            rows = try index.fingerprints(ids: try vote(suspect, index: index))
        }
        var scored: [Candidate] = []
        for row in rows {
            guard let reference = Fingerprint(encoded: [UInt8](row.samples)),
                  let alignment = SequenceMatcher().align(suspect, with: reference) else { continue }
            scored.append(Candidate(fingerprintId: row.fingerprintId, sourceId: row.sourceId, alignment: alignment,
                                    log10FalseMatch: model.log10FalseMatch(alignment, references: size), reference: reference))
        }
        scored.sort { ($0.log10FalseMatch, -$0.alignment.similarity) < ($1.log10FalseMatch, -$1.alignment.similarity) }
        let limit = log10(threshold)
        let isMatch = { (c: Candidate) in c.log10FalseMatch <= limit && c.alignment.durationMatched >= minimumDuration }
        return Outcome(matches: scored.filter(isMatch), nearMiss: scored.first { !isMatch($0) }, indexSize: size, scored: rows.count)
    }

    /// The ids of the best-voted sources: each index hit votes for (source, reference sample -
    /// suspect sample), under every hypothesis (crops, overlay masked), mirrored or not.
    func vote(_ suspect: Fingerprint, index: any FingerprintIndex) throws -> [Int64] {
        var probes: [Int64: [Int32]] = [:]
        for hypothesis in suspect.hypotheses {
            for (j, hash) in hypothesis.hashes.enumerated() where hash.informative {
                for bits in [hash.bits, hash.bits ^ PerceptualHash.flipMask] {
                    for key in Self.substringKeys(bits, aboveCaptions: hypothesis.aboveCaptions) { probes[key, default: []].append(Int32(j)) }
                }
            }
        }
        var votes: [Int64: Int] = [:]
        for hit in try index.fingerprintHits(keys: Array(probes.keys)) {
            for j in probes[hit.key] ?? [] {
                // (source, offset) packed: offsets fit easily in 24 bits.
                let offset = Int64(hit.sample - j)
                votes[hit.fingerprintId << 24 | (offset & 0xFF_FFFF), default: 0] += 1
            }
        }
        var best: [Int64: Int] = [:]
        for (packed, count) in votes {
            let id = packed >> 24
            best[id] = max(best[id] ?? 0, count)
        }
        return best.sorted { ($0.value, $0.key) > ($1.value, $1.key) }.prefix(candidates).map(\.key)
    }
}
