import Testing
@testable import HallmarkSignal

struct CodebookTests {
    @Test func tableEncoderMatchesTheReferenceEncoder() {
        let encoder = CodewordEncoder()
        var generator = SystemRandomNumberGenerator()
        for id in [0, 1, .max, 0x0123_4567_89ab_cdef] + (0..<200).map { _ in UInt64.random(in: .min ... .max, using: &generator) } {
            let reference = ConvolutionalCode().encode(Payload.bits(markId: id)).map { Float($0 == 1 ? 1 : -1) }
            #expect(encoder.signs(id) == reference, "id \(id)")
        }
    }

    @Test func scoreIsTheNormalisedCorrelation() {
        let encoder = CodewordEncoder()
        var random = KeyedRandom(key: [UInt8](repeating: 7, count: 32), domain: "codebook-test")
        let soft = (0..<WatermarkLayout.codedBits).map { _ in Float(random.nextGaussian()) }
        let scorer = CodewordScorer(soft: soft)
        let norm = soft.reduce(0) { $0 + $1 * $1 }.squareRoot()
        let ids: [UInt64] = (0..<50).map { _ in random.next() }
        let fast = scorer.scores(ids, encoder: encoder)
        for (id, z) in zip(ids, fast) {
            let direct = zip(soft, encoder.signs(id)).reduce(0) { $0 + $1.0 * $1.1 } / norm
            #expect(abs(z - direct) < 1e-4, "id \(id): \(z) vs \(direct)")
        }
        // The codeword itself scores the whole norm.
        let planted = encoder.signs(ids[0])
        #expect(abs(CodewordScorer(soft: planted).scores([ids[0]], encoder: encoder)[0] - Float(WatermarkLayout.codedBits).squareRoot()) < 1e-3)
    }
}
