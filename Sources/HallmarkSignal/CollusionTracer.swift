#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Informed detection against the issued codebook: which of the candidate codewords does a set of
/// coded-bit soft values carry, one or several (a copy averaged from several accounts' copies
/// carries each of their codewords at a fraction of the strength)?
///
/// Each candidate is scored on what the other strongest candidates do not explain: the soft
/// values are projected off the span of the top `explained` codewords other than its own, and the
/// candidate's score is `r·c / ‖r‖` on that residual. This does two things. An innocent whose
/// codeword resembles a guilty one (ids sharing a long prefix share their first coded bits) no
/// longer inherits part of the guilty one's score, since the guilty codeword is projected off;
/// and the other colluders' energy no longer inflates the norm a colluder is measured against.
/// The set projected off for a candidate is chosen from the other candidates' scores alone, so it
/// does not depend on the candidate's own codeword: for a candidate that did not contribute, the
/// score still has mean 0 and variance 1 (see `CodewordScorer`).
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

    /// How many of the strongest other candidates are projected off before a candidate is scored:
    /// more than the colluders one expects to name, few enough to cost nothing (12 of 258 dimensions).
    public static let explained = 12

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
        let plain = CodewordScorer(soft: soft).scores(candidates, encoder: encoder)
        let top = Array(plain.indices.sorted { plain[$0] > plain[$1] }.prefix(min(Self.explained + 1, candidates.count)))
        let topCodewords = top.map { encoder.signs(candidates[$0]) }
        // Candidates outside the top: the soft values without the top `explained` codewords.
        let shared = Self.residual(soft, without: Array(topCodewords.prefix(Self.explained)))
        var z = CodewordScorer(soft: shared).scores(candidates, encoder: encoder)
        // Each of the top ones: without the others of the top (never without itself).
        for (rank, index) in top.enumerated() {
            var others = topCodewords
            others.remove(at: rank)
            let own = Self.residual(soft, without: Array(others.prefix(Self.explained)))
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
