import Testing
@testable import HallmarkFingerprint

@Suite struct SequenceMatcherTests {
    /// A reference of `count` samples: a new picture every four samples.
    static func reference(_ count: Int, seed: UInt64) -> Fingerprint {
        var state = seed | 1
        var bits: UInt64 = 0
        return Fingerprint(hashes: (0..<count).map { i in
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            if i % 4 == 0 { bits = state } else { bits ^= 1 << (state % 64) }
            return PerceptualHash(bits: bits, informative: true)
        })
    }

    @Test func excerptIsFoundAtItsOffsetMirroredOrNot() throws {
        let reference = Self.reference(80, seed: 3)
        for flip in [false, true] {
            let excerpt = Fingerprint(hashes: reference.hashes[30..<54].map { flip ? $0.flipped : $0 })
            let a = try #require(SequenceMatcher().align(excerpt, with: reference))
            #expect(a.offset == 30)
            #expect(a.flipped == flip)
            #expect(a.similarity == 1)
            let log10p = FalseMatchModel.calibrated.log10FalseMatch(a, references: 100_000)
            #expect(log10p < -15)
        }
    }

    @Test func unrelatedSequencesScoreNearChanceAndAreNotMatches() throws {
        let a = try #require(SequenceMatcher().align(Self.reference(24, seed: 5), with: Self.reference(80, seed: 9)))
        #expect(a.similarity < 0.7)
        #expect(FalseMatchModel.calibrated.log10FalseMatch(a, references: 1) > -6)
    }

    @Test func stillFramesCountAsOnePieceOfEvidence() {
        let still = ArraySlice(Array(repeating: PerceptualHash(bits: 42, informative: true), count: 40))
        #expect(SequenceMatcher.distinctSamples(still) == 1)
    }
}
