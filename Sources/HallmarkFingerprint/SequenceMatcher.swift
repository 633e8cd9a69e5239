#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The best temporal alignment of a suspect's fingerprint against one reference fingerprint.
public struct Alignment: Sendable, Equatable {
    /// Where the suspect's first sample falls in the reference, in samples (negative: the
    /// reference starts inside the suspect).
    public var offset: Int
    /// The suspect is the mirror image of the reference.
    public var flipped: Bool
    /// Aligned sample pairs where both frames are informative.
    public var pairs: Int
    /// Of those, how many carry independent evidence (see `SequenceMatcher.distinctSamples`).
    public var independentSamples: Int
    /// Fraction of hash bits that agree over the aligned pairs (0.5 is chance).
    public var similarity: Double
    /// Every (offset, flip) hypothesis scored to find this one.
    public var alignmentsTried: Int

    public var offsetSeconds: Double { Double(offset) * Fingerprint.step }
    public var durationMatched: Double { Double(pairs) * Fingerprint.step }
}

/// Aligns fingerprints: every offset at which the two overlap by at least `minimumOverlap`
/// samples, mirrored and not, scored by the fraction of agreeing bits.
public struct SequenceMatcher: Sendable {
    /// One second: shorter overlaps are not scored.
    public var minimumOverlap = 8
    /// Two samples whose hashes differ in fewer bits than this are the same picture for the
    /// purpose of counting evidence (a still shot repeats one frame's bits many times).
    public static let noveltyBits = 12

    public init() {}

    /// The best alignment of `suspect` against `reference`, or nil when they never overlap enough.
    /// `offsets`: only these offsets (e.g. the ones an index voted for); nil: all of them.
    public func align(_ suspect: Fingerprint, with reference: Fingerprint, offsets: ClosedRange<Int>? = nil) -> Alignment? {
        let q = suspect.hashes, r = reference.hashes
        let needed = min(minimumOverlap, q.count, r.count)
        guard needed > 0 else { return nil }
        let all = (needed - q.count)...(r.count - needed)
        let range = offsets.map { $0.clamped(to: all) } ?? all
        guard !range.isEmpty else { return nil }
        var best: (offset: Int, flipped: Bool, agree: Int, pairs: Int)? = nil
        var bestSimilarity = -1.0
        for offset in range {
            let first = max(0, -offset), last = min(q.count, r.count - offset)
            var agree = 0, agreeFlipped = 0, pairs = 0
            for j in first..<last {
                let a = q[j], b = r[j + offset]
                guard a.informative, b.informative else { continue }
                let x = a.bits ^ b.bits
                agree += 64 - x.nonzeroBitCount
                agreeFlipped += 64 - (x ^ PerceptualHash.flipMask).nonzeroBitCount
                pairs += 1
            }
            guard pairs >= needed / 2, pairs > 0 else { continue }
            for (flipped, count) in [(false, agree), (true, agreeFlipped)] {
                let similarity = Double(count) / Double(64 * pairs)
                // Prefer the longer overlap at equal similarity.
                if similarity > bestSimilarity || (similarity == bestSimilarity && pairs > best!.pairs) {
                    bestSimilarity = similarity
                    best = (offset, flipped, count, pairs)
                }
            }
        }
        guard let best else { return nil }
        let first = max(0, -best.offset), last = min(q.count, r.count - best.offset)
        let independent = min(Self.distinctSamples(q[first..<last]), Self.distinctSamples(r[(first + best.offset)..<(last + best.offset)]))
        return Alignment(offset: best.offset, flipped: best.flipped, pairs: best.pairs, independentSamples: independent,
                         similarity: bestSimilarity, alignmentsTried: 2 * range.count)
    }

    /// Informative samples that differ by at least `noveltyBits` from the last one counted: the
    /// number of pictures in the run that carry evidence of their own.
    public static func distinctSamples(_ hashes: ArraySlice<PerceptualHash>) -> Int {
        var count = 0
        var last: PerceptualHash? = nil
        for hash in hashes where hash.informative {
            if let previous = last, previous.distance(to: hash) < noveltyBits { continue }
            count += 1
            last = hash
        }
        return count
    }
}
