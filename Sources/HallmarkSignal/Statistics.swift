#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Tail probabilities used to turn detector scores into false-positive probabilities.
public enum Statistics {
    /// Above this z, `erfc` is close to underflow and the continued fraction takes over.
    private static let millsRatioThreshold = 30.0

    /// The value of rank `rank` (0-based) in ascending order: what `values.sorted()[rank]` gives,
    /// in linear expected time. Reorders `values`.
    static func select(_ values: inout [Float], rank: Int) -> Float {
        precondition(rank >= 0 && rank < values.count)
        var low = 0, high = values.count - 1
        while low < high {
            // Median of three as the pivot, then a three-way partition (equal values are common).
            let middle = low + (high - low) / 2
            let pivot = max(min(values[low], values[middle]), min(max(values[low], values[middle]), values[high]))
            var less = low, index = low, greater = high
            while index <= greater {
                if values[index] < pivot { values.swapAt(less, index); less += 1; index += 1 }
                else if values[index] > pivot { values.swapAt(index, greater); greater -= 1 }
                else { index += 1 }
            }
            // Now values[low..<less] < pivot, values[less...greater] == pivot, the rest > pivot.
            if rank < less { high = less - 1 } else if rank > greater { low = greater + 1 } else { return pivot }
        }
        return values[rank]
    }

    /// P(Z ≥ z) for a standard normal Z; relative accuracy holds until erfc underflows (z ≈ 37.5 → 0).
    public static func normalUpperTail(_ z: Double) -> Double {
        0.5 * erfc(z / 2.0.squareRoot())
    }

    /// log10 P(Z ≥ z); finite for arbitrarily large z (e.g. z = 60 → about −783.9).
    ///
    /// For z > 30 uses Q(z) = φ(z)·R(z) with the Mills ratio R evaluated by its continued fraction
    /// R(z) = 1/(z + 1/(z + 2/(z + 3/(z + …)))), which converges quickly for large z.
    public static func log10NormalUpperTail(_ z: Double) -> Double {
        if z.isNaN { return .nan }
        if z <= millsRatioThreshold {
            return log10(normalUpperTail(z))
        }
        if z == .infinity { return -.infinity }
        var tail = 0.0
        for k in stride(from: 60, through: 1, by: -1) {
            tail = Double(k) / (z + tail)
        }
        let millsRatio = 1 / (z + tail)
        let lnDensity = -0.5 * z * z - 0.5 * log(2 * Double.pi)
        return (lnDensity + log(millsRatio)) / log(10.0)
    }

    /// Fisher's combination of two independent p-values, given as log10: with
    /// X = −2(ln p1 + ln p2), which is χ² with 4 degrees of freedom, P(χ²₄ ≥ X) = p1·p2·(1 − ln(p1·p2)).
    public static func log10FisherCombined(_ log10P1: Double, _ log10P2: Double) -> Double {
        let log10Product = min(0, log10P1) + min(0, log10P2)
        return min(0, log10Product + log10(1 - log10Product * log(10.0)))
    }

    /// P(X ≥ k) for X ~ Binomial(n, p), computed in log space (n up to at least 10 000).
    /// Returns 0 when the probability underflows a Double; see `logBinomialUpperTail` for that range.
    public static func binomialUpperTail(successes k: Int, trials n: Int, p: Double) -> Double {
        exp(logBinomialUpperTail(successes: k, trials: n, p: p))
    }

    /// Natural log of P(X ≥ k) for X ~ Binomial(n, p); finite even when the probability underflows.
    ///
    /// The first term uses Loader's saddle-point form of the binomial pmf (as in R's `dbinom`),
    /// the rest follow by the ratio recurrence. When k is at or below the mean the complement
    /// 1 − P(X ≤ k − 1) is summed instead, so every sum runs away from the mode.
    public static func logBinomialUpperTail(successes k: Int, trials n: Int, p: Double) -> Double {
        precondition(n >= 0 && p >= 0 && p <= 1, "binomial tail needs n >= 0 and p in [0, 1]")
        if k <= 0 { return 0 }
        if k > n || p == 0 { return -.infinity }
        if p == 1 { return 0 }
        let q = 1 - p
        let odds = p / q
        if Double(k) > Double(n) * p {
            // pmf(i + 1) / pmf(i) = (n − i) / (i + 1) · p / q, for i = k, k+1, …, n−1
            return logSumOfTerms(lnFirst: logBinomialPMF(k, n, p), count: n - k + 1) { step in
                let i = k + step
                return Double(n - i) / Double(i + 1) * odds
            }
        }
        // pmf(i − 1) / pmf(i) = i / (n − i + 1) · q / p, for i = k−1, k−2, …, 1
        let lnLower = logSumOfTerms(lnFirst: logBinomialPMF(k - 1, n, p), count: k) { step in
            let i = k - 1 - step
            return Double(i) / Double(n - i + 1) / odds
        }
        return log1p(-exp(lnLower))
    }

    /// ln Σ_{j < count} t_j where ln t_0 = lnFirst and t_{j+1} = t_j · ratio(j) with every ratio < 1
    /// (true for binomial pmfs walking away from the mode), so the terms only shrink.
    private static func logSumOfTerms(lnFirst: Double, count: Int, ratio: (Int) -> Double) -> Double {
        if lnFirst == -.infinity { return -.infinity }
        var term = 1.0  // relative to exp(lnFirst)
        var sum = 1.0
        for step in 0..<(count - 1) {
            term *= ratio(step)
            sum += term
            // Fewer than `count` later terms, each smaller than this one: negligible from here.
            if term * Double(count) < sum * 1e-17 { break }
        }
        return lnFirst + log(sum)
    }

    /// ln P(X = x) for X ~ Binomial(n, p), 0 < p < 1, accurate to a few ulps (Loader 2000).
    static func logBinomialPMF(_ x: Int, _ n: Int, _ p: Double) -> Double {
        if x < 0 || x > n { return -.infinity }
        if x == 0 { return Double(n) * log1p(-p) }
        if x == n { return Double(n) * log(p) }
        let (xd, nd) = (Double(x), Double(n))
        let deviance = stirlingError(n) - stirlingError(x) - stirlingError(n - x)
            - devianceTerm(xd, nd * p) - devianceTerm(nd - xd, nd * (1 - p))
        return deviance + 0.5 * log(nd / (2 * Double.pi * xd * (nd - xd)))
    }

    /// ln(n!) − [(n + ½) ln n − n + ½ ln 2π], the error of Stirling's formula, for n ≥ 1.
    static func stirlingError(_ n: Int) -> Double {
        let nd = Double(n)
        if n <= 15 {
            var logFactorial = 0.0
            if n >= 2 { for j in 2...n { logFactorial += log(Double(j)) } }
            return logFactorial - (nd + 0.5) * log(nd) + nd - 0.5 * log(2 * Double.pi)
        }
        let s0 = 1.0 / 12, s1 = 1.0 / 360, s2 = 1.0 / 1260, s3 = 1.0 / 1680, s4 = 1.0 / 1188
        let nn = nd * nd
        if n > 500 { return (s0 - s1 / nn) / nd }
        if n > 80 { return (s0 - (s1 - s2 / nn) / nn) / nd }
        if n > 35 { return (s0 - (s1 - (s2 - s3 / nn) / nn) / nn) / nd }
        return (s0 - (s1 - (s2 - (s3 - s4 / nn) / nn) / nn) / nn) / nd
    }

    /// x ln(x / m) + m − x, computed without cancellation when x ≈ m.
    static func devianceTerm(_ x: Double, _ m: Double) -> Double {
        if abs(x - m) < 0.1 * (x + m) {
            let v = (x - m) / (x + m)
            var sum = (x - m) * v
            var power = 2 * x * v
            let v2 = v * v
            var j = 1.0
            while true {
                power *= v2
                let next = sum + power / (2 * j + 1)
                if next == sum { return sum }
                sum = next
                j += 1
            }
        }
        return x * log(x / m) + m - x
    }
}
