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
    /// The suspect is a centred crop keeping this fraction of each side (1: not cropped).
    public var crop: Double
    /// Matched on the picture above the caption band only (`Fingerprint.aboveCaptions`).
    public var aboveCaptions: Bool = false
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
        var best: Alignment? = nil
        var tried = 0
        for hypothesis in suspect.hypotheses {
            let q = hypothesis.hashes
            guard let r = reference.sequence(for: hypothesis), let found = align(q, r, offsets: offsets) else { continue }
            tried += found.tried
            if best == nil || found.similarity > best!.similarity {
                best = Alignment(offset: found.offset, flipped: found.flipped, crop: hypothesis.crop, aboveCaptions: hypothesis.aboveCaptions,
                                 pairs: found.pairs, independentSamples: 0, similarity: found.similarity, alignmentsTried: 0)
                let first = max(0, -found.offset), last = min(q.count, r.count - found.offset)
                best!.independentSamples = min(Self.distinctSamples(q[first..<last]),
                                               Self.distinctSamples(r[(first + found.offset)..<(last + found.offset)]))
            }
        }
        best?.alignmentsTried = tried
        return best
    }

    /// The best (offset, flip) of one hash sequence against another.
    private func align(_ q: [PerceptualHash], _ r: [PerceptualHash], offsets: ClosedRange<Int>?) -> (offset: Int, flipped: Bool, pairs: Int, similarity: Double, tried: Int)? {
        let needed = min(minimumOverlap, q.count, r.count)
        guard needed > 0 else { return nil }
        let all = (needed - q.count)...(r.count - needed)
        let range = offsets.map { $0.clamped(to: all) } ?? all
        guard !range.isEmpty else { return nil }
        var best: (offset: Int, flipped: Bool, pairs: Int, similarity: Double, tried: Int)? = nil
        q.withUnsafeBufferPointer { q in
            r.withUnsafeBufferPointer { r in
                for offset in range {
                    let first = max(0, -offset), last = min(q.count, r.count - offset)
                    var agree = 0, agreeFlipped = 0, pairs = 0
                    for j in first..<last {
                        let a = q[j], b = r[j + offset]
                        guard a.informative, b.informative else { continue }
                        let x = a.bits ^ b.bits
                        agree &+= 64 - x.nonzeroBitCount
                        agreeFlipped &+= 64 - (x ^ PerceptualHash.flipMask).nonzeroBitCount
                        pairs &+= 1
                    }
                    guard pairs >= (needed + 1) / 2 else { continue }
                    for (flipped, count) in [(false, agree), (true, agreeFlipped)] {
                        let similarity = Double(count) / Double(64 * pairs)
                        // Prefer the longer overlap at equal similarity.
                        if best == nil || similarity > best!.similarity || (similarity == best!.similarity && pairs > best!.pairs) {
                            best = (offset, flipped, pairs, similarity, 0)
                        }
                    }
                }
            }
        }
        best?.tried = 2 * range.count
        return best
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
