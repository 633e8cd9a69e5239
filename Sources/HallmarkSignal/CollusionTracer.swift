#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Informed detection against the issued codebook: which of the candidate codewords does a set of
/// coded-bit soft values carry, one or several (a copy averaged from several accounts' copies
/// carries each of their codewords at a fraction of the strength)?
///
/// Greedy explaining away. The strongest candidate is taken as present when it is plausibly so
/// (its false-accusation probability at most `admit`), the soft values are projected off its
/// codeword, every candidate is scored again on the residual, and so on, up to `explained`
/// codewords. Then each candidate is scored on what the present ones other than itself do not
/// explain: `r·c / ‖r‖` on that residual. An innocent whose codeword resembles a guilty one (ids
/// sharing a long prefix share their first coded bits) no longer inherits part of the guilty
/// one's score, since the guilty codeword is projected off; the other colluders' energy no
/// longer inflates the norm a colluder is measured against; and, since only codewords that stood
/// out are projected off, a colluder does not lose energy to innocent look-alikes (among 10^6
/// random codewords, the best-correlated dozen with any one codeword share a quarter of it).
/// For a candidate that did not contribute, the score still has mean 0 and variance 1 (see
/// `CodewordScorer`): the residual is chosen from what stood out, and its own codeword is
/// independent of the picture.
///
/// False-accusation probability of a score z: `Q(z) × multiplicity`, where the multiplicity
/// counts every test that could have produced it (candidates × time windows examined).
public struct CollusionTracer: Sendable {
    public struct Accusation: Sendable, Equatable {
        public var markId: UInt64
        /// Score on the residual the other strongest candidates leave.
        public var z: Double
        public var log10FalseAccusation: Double
    }

    /// At most this many codewords are explained away: more than the colluders one expects to
    /// name, few enough to cost little of the 258 dimensions.
    public static let explained = 12
    /// A codeword is explained away when its false-accusation probability is at most 10^admit:
    /// plausibly present, not necessarily accused.
    public static let log10Admit = -1.0

    public let encoder: CodewordEncoder

    public init(encoder: CodewordEncoder = CodewordEncoder()) {
        self.encoder = encoder
    }

    /// log10 of the false-accusation probability of score `z` among `multiplicity` tests.
    public static func log10FalseAccusation(z: Double, multiplicity: Double) -> Double {
        min(0, log10(max(multiplicity, 1)) + Statistics.log10NormalUpperTail(z))
    }

    /// The accused candidates (false-accusation probability at or below `10^log10Threshold`),
    /// strongest first, and the best candidate that was not accused (the near miss), if any.
    public func accuse(soft: [Float], candidates: [UInt64], multiplicity: Double,
                       log10Threshold: Double) -> (accused: [Accusation], nearMiss: Accusation?) {
        let scored = score(soft: soft, candidates: candidates, multiplicity: multiplicity)
        let accused = scored.prefix { $0.log10FalseAccusation <= log10Threshold }
        return (Array(accused), scored.dropFirst(accused.count).first)
    }

    /// Every candidate's score on its residual, strongest first.
    public func score(soft: [Float], candidates: [UInt64], multiplicity: Double) -> [Accusation] {
        guard soft.count == WatermarkLayout.codedBits, !candidates.isEmpty,
              soft.contains(where: { $0 != 0 }) else { return [] }
        // Forward: explain away the strongest while it stands out.
        var present: [Int] = []
        var z = CodewordScorer(soft: soft).scores(candidates, encoder: encoder)
        while present.count < min(Self.explained, candidates.count) {
            var best = -1
            for i in z.indices where !present.contains(i) && (best < 0 || z[i] > z[best]) { best = i }
            guard best >= 0, Self.log10FalseAccusation(z: Double(z[best]), multiplicity: multiplicity) <= Self.log10Admit else { break }
            present.append(best)
            // Everyone but the present ones, on what the present ones leave (the next round's scores).
            let residual = Self.residual(soft, without: present.map { encoder.signs(candidates[$0]) })
            z = CodewordScorer(soft: residual).scores(candidates, encoder: encoder)
        }
        // Each present one: on what the other present ones leave (never without itself).
        for (rank, index) in present.enumerated() {
            var others = present
            others.remove(at: rank)
            let own = Self.residual(soft, without: others.map { encoder.signs(candidates[$0]) })
            z[index] = CodewordScorer(soft: own).scores([candidates[index]], encoder: encoder)[0]
        }
        return candidates.indices
            .map { Accusation(markId: candidates[$0], z: Double(z[$0]),
                              log10FalseAccusation: Self.log10FalseAccusation(z: Double(z[$0]), multiplicity: multiplicity)) }
            .sorted { $0.z > $1.z }
    }

    /// `soft` minus its projection on the span of `codewords` (Gram-Schmidt).
    static func residual(_ soft: [Float], without codewords: [[Float]]) -> [Float] {
        var residual = soft
        var basis: [[Float]] = []
        for codeword in codewords {
            var direction = codeword
            for q in basis {
                let dot = zip(direction, q).reduce(0) { $0 + $1.0 * $1.1 }
                for b in direction.indices { direction[b] -= dot * q[b] }
            }
            let norm = direction.reduce(0) { $0 + $1 * $1 }.squareRoot()
            guard norm > 1e-3 else { continue }
            for b in direction.indices { direction[b] /= norm }
            let along = zip(residual, direction).reduce(0) { $0 + $1.0 * $1.1 }
            for b in residual.indices { residual[b] -= along * direction[b] }
            basis.append(direction)
        }
        return residual
    }
}
