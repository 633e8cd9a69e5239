import Testing
@testable import HallmarkSignal

@Suite struct StatisticsTests {
    static func isClose(_ a: Double, _ b: Double, relative: Double) -> Bool {
        abs(a - b) <= relative * abs(b)
    }

    // Reference values from scipy.stats / mpmath.
    @Test func normalUpperTail() {
        #expect(Statistics.normalUpperTail(0) == 0.5)
        #expect(Self.isClose(Statistics.normalUpperTail(1.96), 0.024997895148220435, relative: 1e-12))
        #expect(Self.isClose(Statistics.normalUpperTail(6), 9.865876450376946e-10, relative: 1e-12))
        #expect(Self.isClose(Statistics.normalUpperTail(-2), 0.9772498680518208, relative: 1e-14))
        #expect(Self.isClose(Statistics.normalUpperTail(10), 7.61985302416047e-24, relative: 1e-12))
        #expect(Self.isClose(Statistics.normalUpperTail(37), 5.7255712225239266e-300, relative: 1e-10))
        #expect(Statistics.normalUpperTail(-.infinity) == 1)
        #expect(Statistics.normalUpperTail(.infinity) == 0)
    }

    @Test func log10NormalUpperTail() {
        let cases: [(Double, Double)] = [
            (0, -0.30102999566398114),
            (6, -9.005864327476706),
            (-2, -0.009994379534108703),
            (30, -197.30920926166095),
            (31, -210.56940093220393),  // first z on the continued-fraction branch
            (37, -299.24218117860994),
            (40, -349.43700645934584),
            (60, -783.9074291641107),
            (100, -2173.8715428690343),
        ]
        for (z, expected) in cases {
            #expect(abs(Statistics.log10NormalUpperTail(z) - expected) < 1e-9, "z = \(z)")
        }
        // Continuous and decreasing across the branch switch at z = 30.
        let below = Statistics.log10NormalUpperTail(30 - 1e-9)
        let above = Statistics.log10NormalUpperTail(30 + 1e-9)
        #expect(below > above && below - above < 1e-6)
        #expect(Statistics.log10NormalUpperTail(1e6).isFinite)
        #expect(Statistics.log10NormalUpperTail(.infinity) == -.infinity)
    }

    @Test func fisherCombination() {
        // p1 = p2 = 0.01: 1e-4 · (1 − ln 1e-4) = 1.0210e-3.
        #expect(abs(Statistics.log10FisherCombined(-2, -2) - (-2.990960)) < 1e-4)
        // One uninformative p-value (1) leaves p·(1 − ln p), never below the other alone.
        #expect(Statistics.log10FisherCombined(-5, 0) > -5)
        // Far tails stay finite.
        #expect(Statistics.log10FisherCombined(-300, -300).isFinite)
    }

    @Test func binomialUpperTail() {
        // Reference values from mpmath (exact sums at 50 digits).
        let cases: [(k: Int, n: Int, p: Double, expected: Double)] = [
            (60, 100, 0.5, 0.028443966820490396),
            (30, 100, 0.5, 0.99998391999235217),
            (5, 10, 0.3, 0.15026833259999992),
            (5200, 10_000, 0.5, 3.296757799336221e-05),
            (6000, 10_000, 0.5, 8.7021582061343929e-90),
            (4500, 10_000, 0.45, 0.50387578267341088),  // k at the mean: complement branch
            (4501, 10_000, 0.45, 0.49585694428870591),  // just above the mean: direct branch
            (3, 10_000, 0.0001, 0.080292199242242707),
            (1, 10_000, 0.0001, 0.63213895356707008),
            (1, 1, 0.5, 0.5),
        ]
        for c in cases {
            let value = Statistics.binomialUpperTail(successes: c.k, trials: c.n, p: c.p)
            #expect(Self.isClose(value, c.expected, relative: 1e-12), "k=\(c.k) n=\(c.n) p=\(c.p): \(value)")
        }
        // 1 − 2.68e-24 rounds to exactly 1.
        #expect(Statistics.binomialUpperTail(successes: 4000, trials: 10_000, p: 0.45) == 1)
    }

    @Test func binomialTailIsMonotoneAndSumsToPMF() {
        var previous = 1.0
        for k in 0...200 {
            let tail = Statistics.binomialUpperTail(successes: k, trials: 200, p: 0.3)
            #expect(tail <= previous)
            previous = tail
        }
        // P(X >= 0) over all outcomes of Bin(20, 0.4): pmf differences sum back to 1.
        var total = 0.0
        for k in 0...20 {
            total += Statistics.binomialUpperTail(successes: k, trials: 20, p: 0.4)
                - Statistics.binomialUpperTail(successes: k + 1, trials: 20, p: 0.4)
        }
        #expect(abs(total - 1) < 1e-14)
    }

    @Test func binomialEdgeCases() {
        #expect(Statistics.binomialUpperTail(successes: 0, trials: 10, p: 0.3) == 1)
        #expect(Statistics.binomialUpperTail(successes: -3, trials: 10, p: 0.3) == 1)
        #expect(Statistics.binomialUpperTail(successes: 11, trials: 10, p: 0.3) == 0)
        #expect(Statistics.binomialUpperTail(successes: 1, trials: 10, p: 0) == 0)
        #expect(Statistics.binomialUpperTail(successes: 10, trials: 10, p: 1) == 1)
        #expect(Self.isClose(Statistics.binomialUpperTail(successes: 10, trials: 10, p: 0.5), 1.0 / 1024, relative: 1e-12))
    }

    @Test func logBinomialUpperTailBeyondDoubleRange() {
        // ln P(X >= 8000), X ~ Bin(10000, 1/2) = −1931.7678609072445 (mpmath); the plain value underflows.
        let lnTail = Statistics.logBinomialUpperTail(successes: 8000, trials: 10_000, p: 0.5)
        #expect(abs(lnTail - -1931.7678609072445) < 1e-9)
        #expect(Statistics.binomialUpperTail(successes: 8000, trials: 10_000, p: 0.5) == 0)
    }

    @Test func selectionAgreesWithSorting() {
        var random = KeyedRandom(key: [UInt8](repeating: 7, count: 32), domain: "select")
        for count in [1, 2, 3, 10, 101, 1000] {
            for levels in [3, 1000] {  // many duplicates, then few
                let values = (0..<count).map { _ in Float(Int(random.nextUnit() * Double(levels))) / 7 }
                let sorted = values.sorted()
                for rank in Set([0, count / 2, count - 1, count / 3]) {
                    var scratch = values
                    #expect(Statistics.select(&scratch, rank: rank) == sorted[rank], "count \(count), rank \(rank)")
                }
            }
        }
    }
}
