#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How likely an alignment this good is between clips that are not related, calibrated on a
/// measured null distribution (`hallmark eval fingerprint-null`; numbers in README).
///
/// Under the null, the agreeing-bit fraction of an alignment behaves like the mean of
/// `bitsPerSample x independentSamples` Bernoulli(`chance`) bits: unrelated natural pictures
/// agree on somewhat more than half of their low-frequency signs, and the 64 bits of a frame are
/// not independent, so both numbers are fitted, not assumed. The tail is the Chernoff bound
/// exp(-N·KL(s ‖ chance)), which is never below the binomial tail it bounds; it is then
/// multiplied by the alignments tried and the number of references searched.
public struct FalseMatchModel: Sendable {
    public var chance: Double
    public var bitsPerSample: Double

    /// Fitted on the measured null (scripts/fingerprint-null.sh: 14,098 unrelated pairs, 19 clips):
    /// the most powerful (chance, bits) on a grid whose model probability, alignments included,
    /// is exceeded by at most a fraction α of the null pairs at α = 0.1, 0.01, 1e-3 and 1e-4
    /// (chance 0.55, 40 bits passes with observed 0.0012, 0.0005, 0.0002, 0); 36 bits for margin.
    public static let calibrated = FalseMatchModel(chance: 0.55, bitsPerSample: 36)

    public init(chance: Double, bitsPerSample: Double) {
        self.chance = chance
        self.bitsPerSample = bitsPerSample
    }

    /// log10 of the probability that one alignment of unrelated clips reaches `similarity`.
    public func log10Tail(similarity: Double, independentSamples: Int) -> Double {
        let s = min(max(similarity, 0), 1)
        guard s > chance, independentSamples > 0 else { return 0 }
        let n = bitsPerSample * Double(independentSamples)
        let p = chance
        let kl = (s > 0 ? s * log(s / p) : 0) + (s < 1 ? (1 - s) * log((1 - s) / (1 - p)) : 0)
        return -n * kl / log(10.0)
    }

    /// log10 of the false-match probability of `alignment` found among `references` references.
    public func log10FalseMatch(_ alignment: Alignment, references: Int) -> Double {
        let tail = log10Tail(similarity: alignment.similarity, independentSamples: alignment.independentSamples)
        return min(0, tail + log10(Double(max(1, alignment.alignmentsTried))) + log10(Double(max(1, references))))
    }
}
