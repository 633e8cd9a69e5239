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

    /// A captioned copy: its whole-picture hashes are another picture's, its hashes above the
    /// caption band are the source's. It is found through the band, at its offset; against a
    /// reference stored without those hashes (fingerprint version 1 or 2) it is not.
    @Test func captionedCopyIsFoundAboveTheCaptionBand() throws {
        let whole = Self.reference(80, seed: 3), above = Self.reference(80, seed: 4)
        let reference = Fingerprint(hashes: whole.hashes, aboveCaptions: above.hashes)
        let copy = Fingerprint(hashes: Self.reference(24, seed: 11).hashes, aboveCaptions: Array(above.hashes[30..<54]))
        let a = try #require(SequenceMatcher().align(copy, with: reference))
        #expect(a.aboveCaptions)
        #expect(a.offset == 30)
        #expect(a.similarity == 1)
        let stored = try #require(Fingerprint(encoded: reference.encoded()))
        #expect(try #require(SequenceMatcher().align(copy, with: stored)).aboveCaptions)
        let old = try #require(SequenceMatcher().align(copy, with: Fingerprint(hashes: whole.hashes)))
        #expect(!old.aboveCaptions)
        #expect(old.similarity < 0.7)
    }

    @Test func stillFramesCountAsOnePieceOfEvidence() {
        let still = ArraySlice(Array(repeating: PerceptualHash(bits: 42, informative: true), count: 40))
        #expect(SequenceMatcher.distinctSamples(still) == 1)
    }
}
