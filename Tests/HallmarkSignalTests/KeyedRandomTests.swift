import Testing
@testable import HallmarkSignal

@Suite struct KeyedRandomTests {
    let key = (0..<32).map { UInt8($0) }

    @Test func chachaBlockMatchesRFC8439Vector() {
        // RFC 8439 §2.3.2: key 00..1f, nonce 00:00:00:09:00:00:00:4a:00:00:00:00, counter 1.
        let nonce: [UInt8] = [0, 0, 0, 0x09, 0, 0, 0, 0x4a, 0, 0, 0, 0]
        let block = KeyedRandom.chachaBlock(key: key, counter: 1, nonce: nonce)
        let expected: [UInt32] = [
            0xe4e7_f110, 0x1559_3bd1, 0x1fdd_0f50, 0xc471_20a3,
            0xc7f4_d1c7, 0x0368_c033, 0x9aaa_2204, 0x4e6c_d4c3,
            0x4664_82d2, 0x09aa_9f07, 0x05d7_c214, 0xa202_8bd9,
            0xd19c_12b5, 0xb94e_16de, 0xe883_d0cb, 0x4e3c_50a2,
        ]
        #expect(block == expected)
    }

    @Test func sameKeyAndDomainGiveSameStream() {
        var a = KeyedRandom(key: key, domain: "tile.sync")
        var b = KeyedRandom(key: key, domain: "tile.sync")
        let first = (0..<100).map { _ in a.next() }
        let second = (0..<100).map { _ in b.next() }
        #expect(first == second)
        #expect(Set(first).count == 100)
    }

    @Test func streamMatchesChachaKeystream() {
        // The first output is the first two words of block 0 under the derived nonce.
        let domain = "interleave"
        let bytes = Array(domain.utf8)
        let hash = KeyedRandom.fnv1a64(bytes)
        var nonce = [UInt8]()
        for word in [UInt32(bytes.count), UInt32(truncatingIfNeeded: hash), UInt32(truncatingIfNeeded: hash >> 32)] {
            nonce += (0..<4).map { UInt8(truncatingIfNeeded: word >> (8 * $0)) }
        }
        let block0 = KeyedRandom.chachaBlock(key: key, counter: 0, nonce: nonce)
        let block1 = KeyedRandom.chachaBlock(key: key, counter: 1, nonce: nonce)
        var random = KeyedRandom(key: key, domain: domain)
        let words = (0..<16).flatMap { _ -> [UInt32] in
            let value = random.next()
            return [UInt32(truncatingIfNeeded: value), UInt32(truncatingIfNeeded: value >> 32)]
        }
        #expect(words == block0 + block1)
    }

    @Test func differentDomainsAndKeysGiveUnrelatedStreams() {
        var a = KeyedRandom(key: key, domain: "tile.sync")
        var b = KeyedRandom(key: key, domain: "interleave")
        var otherKey = key
        otherKey[31] ^= 1
        var c = KeyedRandom(key: otherKey, domain: "tile.sync")
        var agreeingBitsAB = 0, agreeingBitsAC = 0
        for _ in 0..<1000 {
            let x = a.next()
            agreeingBitsAB += 64 - (x ^ b.next()).nonzeroBitCount
            agreeingBitsAC += 64 - (x ^ c.next()).nonzeroBitCount
        }
        // 64 000 bit comparisons: unrelated streams agree on ~32 000 ± 126.
        #expect(abs(agreeingBitsAB - 32_000) < 800)
        #expect(abs(agreeingBitsAC - 32_000) < 800)
        // Even the empty domain and a one-character domain differ.
        var empty = KeyedRandom(key: key, domain: "")
        var one = KeyedRandom(key: key, domain: "a")
        #expect(empty.next() != one.next())
    }

    @Test func signsAreBalancedAndUnitIsInRange() {
        var random = KeyedRandom(key: key, domain: "signs")
        var sum: Float = 0
        var runsEqual = 0
        var previous: Float = 0
        for _ in 0..<100_000 {
            let sign = random.nextSign()
            #expect(sign == 1 || sign == -1)
            sum += sign
            if sign == previous { runsEqual += 1 }
            previous = sign
        }
        // Standard deviation of the sum is ~316; 5 sigma bound.
        #expect(abs(sum) < 1600)
        #expect(abs(runsEqual - 50_000) < 800)

        var unitSum = 0.0
        for _ in 0..<100_000 {
            let u = random.nextUnit()
            #expect(u >= 0 && u < 1)
            unitSum += u
        }
        #expect(abs(unitSum / 100_000 - 0.5) < 0.005)
    }

    @Test func gaussianHasUnitVariance() {
        var random = KeyedRandom(key: key, domain: "gauss")
        var sum = 0.0, sumSquares = 0.0
        let count = 50_000
        for _ in 0..<count {
            let g = random.nextGaussian()
            sum += g
            sumSquares += g * g
        }
        #expect(abs(sum / Double(count)) < 0.03)
        #expect(abs(sumSquares / Double(count) - 1) < 0.03)
    }

    @Test func worksAsSystemRandomReplacement() {
        var a = KeyedRandom(key: key, domain: "shuffle")
        var b = KeyedRandom(key: key, domain: "shuffle")
        let shuffledA = Array(0..<50).shuffled(using: &a)
        let shuffledB = Array(0..<50).shuffled(using: &b)
        #expect(shuffledA == shuffledB)
        #expect(shuffledA != Array(0..<50))
        #expect(shuffledA.sorted() == Array(0..<50))
    }
}
