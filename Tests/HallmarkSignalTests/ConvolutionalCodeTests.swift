import Testing
import HallmarkSignal

@Suite struct ConvolutionalCodeTests {
    let code = ConvolutionalCode()

    static func randomBits(_ count: Int, _ random: inout KeyedRandom) -> [UInt8] {
        (0..<count).map { _ in UInt8(random.next() & 1) }
    }

    /// Noise-free soft values: +1 for a coded 1, −1 for a coded 0.
    static func cleanSoft(_ coded: [UInt8]) -> [Float] {
        coded.map { $0 == 1 ? 1 : -1 }
    }

    @Test func impulseResponseIsTheGenerators() {
        let coded = code.encode([1])
        #expect(coded.count == 21)
        for t in 0..<7 {
            for (i, generator) in ConvolutionalCode.generators.enumerated() {
                #expect(coded[3 * t + i] == (generator >> (6 - t)) & 1)
            }
        }
        // Weight of the impulse response is the free distance of this code.
        #expect(coded.reduce(0) { $0 + Int($1) } == 15)
    }

    @Test func encodedLengthAndTermination() {
        #expect(code.encode([]).count == 18)
        #expect(code.encode([UInt8](repeating: 1, count: 86)).count == 3 * 92)
        #expect(ConvolutionalCode.codedLength(informationBits: 86) == 276)
        #expect(code.encode([0, 0, 0]) == [UInt8](repeating: 0, count: 27))
    }

    @Test func roundTripWithoutNoise() {
        var random = KeyedRandom(key: [UInt8](repeating: 1, count: 32), domain: "conv.clean")
        for length in [0, 1, 2, 7, 31, 80, 86, 200] {
            let bits = Self.randomBits(length, &random)
            let soft = Self.cleanSoft(code.encode(bits))
            #expect(code.decode(soft: soft, informationBits: length) == bits)
            // Any positive scale works, and so do hard-ish values of mixed magnitude.
            #expect(code.decode(soft: soft.map { $0 * 37.5 }, informationBits: length) == bits)
        }
    }

    @Test func decodesGaussianNoise() {
        // Mean ±1 per coded bit, sigma 0.9 (Eb/N0 ≈ 2.7 dB at rate 1/3).
        var random = KeyedRandom(key: [UInt8](repeating: 2, count: 32), domain: "conv.noise")
        var correctMessages = 0
        var hardDecisionBitErrors = 0
        for _ in 0..<100 {
            let bits = Self.randomBits(80, &random)
            let coded = code.encode(bits)
            let soft = coded.map { Float($0 == 1 ? 1 : -1) + 0.9 * Float(random.nextGaussian()) }
            hardDecisionBitErrors += zip(coded, soft).filter { ($0 == 1) != ($1 > 0) }.count
            if code.decode(soft: soft, informationBits: 80) == bits { correctMessages += 1 }
        }
        // The channel really is noisy: ~13% raw coded-bit errors (P(N > 1/0.9) ≈ 0.133).
        #expect(hardDecisionBitErrors > 2_800)
        // Observed 99/100 with this seed (frame error rate ≈ 0.5% over 10 000 frames).
        #expect(correctMessages >= 97)
    }

    @Test func decodesWithTenPercentErasures() {
        var random = KeyedRandom(key: [UInt8](repeating: 3, count: 32), domain: "conv.erasure")
        for _ in 0..<50 {
            let bits = Self.randomBits(86, &random)
            var soft = Self.cleanSoft(code.encode(bits))
            var erased = Set<Int>()
            while erased.count < soft.count / 10 {
                erased.insert(Int(random.next() % UInt64(soft.count)))
            }
            for i in erased { soft[i] = 0 }
            #expect(code.decode(soft: soft, informationBits: 86) == bits)
        }
    }

    @Test func erasuresPlusMildNoise() {
        var random = KeyedRandom(key: [UInt8](repeating: 4, count: 32), domain: "conv.mixed")
        var correctMessages = 0
        for _ in 0..<50 {
            let bits = Self.randomBits(86, &random)
            var soft = Self.cleanSoft(code.encode(bits)).map { $0 + 0.5 * Float(random.nextGaussian()) }
            for i in soft.indices where random.nextUnit() < 0.1 { soft[i] = 0 }
            if code.decode(soft: soft, informationBits: 86) == bits { correctMessages += 1 }
        }
        #expect(correctMessages >= 48)
    }

    /// Correlation of a reading's re-encoding with the soft values: the path metric Viterbi ranks by.
    func metric(_ bits: [UInt8], _ soft: [Float]) -> Float {
        zip(code.encode(bits), soft).reduce(0) { $0 + ($1.0 == 1 ? $1.1 : -$1.1) }
    }

    @Test func listDecodingRanksDistinctReadingsByMetric() {
        var random = KeyedRandom(key: [UInt8](repeating: 5, count: 32), domain: "conv.list")
        for _ in 0..<30 {
            let bits = Self.randomBits(80, &random)
            let soft = code.encode(bits).map { Float($0 == 1 ? 1 : -1) + 1.2 * Float(random.nextGaussian()) }
            let list = code.decodeList(soft: soft, informationBits: 80, listSize: 8)
            #expect(list.count == 8)
            #expect(Set(list.map { $0.map(String.init).joined() }).count == 8)
            // The best reading is the plain Viterbi one; the rest follow in order of likelihood.
            #expect(metric(list[0], soft) == metric(code.decode(soft: soft, informationBits: 80), soft))
            for k in 1..<list.count { #expect(metric(list[k - 1], soft) >= metric(list[k], soft) - 1e-3) }
        }
    }

    @Test func listDecodingWithCRCReadsMoreThanViterbiAlone() {
        // Sigma 1.3: about one message in four is wrong after plain Viterbi.
        var random = KeyedRandom(key: [UInt8](repeating: 6, count: 32), domain: "conv.listcrc")
        var viterbiCorrect = 0, listCorrect = 0, listWrongAccepted = 0
        for _ in 0..<200 {
            var id: UInt64 = 0
            for _ in 0..<8 { id = id << 8 | UInt64(random.next() & 0xFF) }
            let bits = Payload.bits(markId: id)
            let soft = code.encode(bits).map { Float($0 == 1 ? 1 : -1) + 1.3 * Float(random.nextGaussian()) }
            if code.decode(soft: soft, informationBits: 80) == bits { viterbiCorrect += 1 }
            let list = code.decodeList(soft: soft, informationBits: 80, listSize: 8)
            if let accepted = list.first(where: { Payload.decode($0).crcValid }) {
                if accepted == bits { listCorrect += 1 } else { listWrongAccepted += 1 }
            }
        }
        #expect(listCorrect > viterbiCorrect)
        #expect(listWrongAccepted == 0)
    }
}
