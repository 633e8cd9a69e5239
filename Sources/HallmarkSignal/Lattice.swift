#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Two vectors, in analysis pixels, that each span one tile period: the picture's tiling after
/// whatever scaling, rotation or aspect change it went through.
public struct Lattice: Sendable, Equatable, Codable {
    public var a: (x: Double, y: Double) { (ax, ay) }
    public var b: (x: Double, y: Double) { (bx, by) }
    public var ax: Double, ay: Double, bx: Double, by: Double

    public init(ax: Double, ay: Double, bx: Double, by: Double) {
        self.ax = ax; self.ay = ay; self.bx = bx; self.by = by
    }

    /// The lattice of an unattacked frame: tile period along x and y.
    public static func nominal(period: Double) -> Lattice { Lattice(ax: period, ay: 0, bx: 0, by: period) }

    public var determinant: Double { ax * by - ay * bx }
    /// Mean period length in pixels.
    public var period: Double { ((ax * ax + ay * ay).squareRoot() + (bx * bx + by * by).squareRoot()) / 2 }
    /// Angle of `a` in degrees, folded into [-45, 45) (the tiling looks the same every 90 degrees).
    public var angleDegrees: Double {
        var angle = atan2(ay, ax) * 180 / Double.pi
        while angle >= 45 { angle -= 90 }
        while angle < -45 { angle += 90 }
        return angle
    }

    func scaled(_ sa: Double, _ sb: Double) -> Lattice {
        Lattice(ax: ax * sa, ay: ay * sa, bx: bx * sb, by: by * sb)
    }

    public static func == (l: Lattice, r: Lattice) -> Bool {
        l.ax == r.ax && l.ay == r.ay && l.bx == r.bx && l.by == r.by
    }
}

/// Finds the tiling of a whitened, accumulated picture from its autocorrelation.
///
/// A pattern repeated on a lattice has autocorrelation peaks at every lattice point. The
/// autocorrelation is computed by FFT over a power-of-two centre crop with the spectrum's
/// magnitude square-rooted (a partial whitening that sharpens the peaks), the shortest strong
/// peaks, each with its strongest roughly perpendicular partner, give candidate bases, and a least-squares fit
/// over the lattice points that fall in the window refines it to a fraction of a pixel.
enum LatticeEstimator {
    static let minimumPeriod = 40.0

    static func estimate(image: [Float], width: Int, height: Int) -> [Lattice] {
        // Large pictures are halved first (the tile period is then still >= 20 pixels); the
        // lattice is scaled back at the end.
        let factor = max(width, height) > 1024 ? 2 : 1
        let w = width / factor, h = height / factor
        guard w >= 96, h >= 96 else { return [] }
        // Zero-padded to a power of two (at most 2048), so that the correlation is linear for
        // most lags; normalised by the overlap of each lag, so far lags are not penalised.
        // A side up to 10 % over a power of two is cropped to it rather than doubled.
        func size(_ side: Int) -> Int {
            let up = nextPowerOfTwo(side), down = up / 2
            return min(2048, Double(side) <= Double(down) * 1.1 && down >= 128 ? down : up)
        }
        let n = size(w), m = size(h)
        let cw = min(w, n), ch = min(h, m)
        let x0 = (w - cw) / 2, y0 = (h - ch) / 2
        var re = [Float](repeating: 0, count: n * m), im = re
        var mean: Float = 0
        for y in 0..<ch {
            for x in 0..<cw {
                var v: Float = 0
                for dy in 0..<factor { for dx in 0..<factor { v += image[((y0 + y) * factor + dy) * width + (x0 + x) * factor + dx] } }
                re[y * n + x] = v
                mean += v
            }
        }
        mean /= Float(cw * ch)
        for y in 0..<ch { for x in 0..<cw { re[y * n + x] -= mean } }
        let fft = FFT2D(width: n, height: m)
        fft.forward(&re, &im)
        for i in re.indices {
            let magnitude = (re[i] * re[i] + im[i] * im[i]).squareRoot()
            re[i] = magnitude
            im[i] = 0
        }
        re[0] = 0
        fft.inverse(&re, &im)
        var correlation = re
        for dy in 0..<m {
            let ly = dy <= m / 2 ? dy : m - dy
            for dx in 0..<n {
                let lx = dx <= n / 2 ? dx : n - dx
                let overlap = Float(max(0, cw - lx) * max(0, ch - ly))
                correlation[dy * n + dx] = overlap > 0 ? correlation[dy * n + dx] / overlap : 0
            }
        }
        func at(_ dx: Int, _ dy: Int) -> Float {
            correlation[((dy % m + m) % m) * n + ((dx % n + n) % n)]
        }

        // Lags up to half the picture in each direction: a tiling needs two whole tiles to be
        // told apart from the picture's own structure.
        let maxLagX = cw / 2, maxLagY = ch / 2
        let minimum = minimumPeriod / Double(factor)
        // Local maxima in a half plane, within the range of plausible periods.
        var peaks: [(dx: Int, dy: Int, value: Float)] = []
        for dy in 0..<min(m / 2, maxLagY) {
            for dx in (-min(n / 2 - 1, maxLagX))..<min(n / 2, maxLagX) {
                if dy == 0 && dx <= 0 { continue }
                let r = (Double(dx * dx + dy * dy)).squareRoot()
                guard r >= minimum else { continue }
                let v = at(dx, dy)
                guard v > 0 else { continue }
                var isMax = true
                for ny in -1...1 { for nx in -1...1 where (nx != 0 || ny != 0) { if at(dx + nx, dy + ny) > v { isMax = false } } }
                if isMax { peaks.append((dx, dy, v)) }
            }
        }
        peaks.sort { $0.value > $1.value }
        peaks = Array(peaks.prefix(24))
        guard let strongest = peaks.first?.value, strongest > 0 else { return [] }
        func length(_ p: (dx: Int, dy: Int, value: Float)) -> Double { Double(p.dx * p.dx + p.dy * p.dy).squareRoot() }
        // Each of the strongest few peaks, paired with the strongest peak roughly perpendicular to it
        // and of similar length (a square tile seen through a moderate affine change).
        var bases: [((dx: Int, dy: Int, value: Float), (dx: Int, dy: Int, value: Float))] = []
        for first in peaks.prefix(3) {
            let partners = peaks.filter { p in
                let cosine = Double(first.dx * p.dx + first.dy * p.dy) / (length(first) * length(p))
                let ratio = length(p) / length(first)
                return abs(cosine) < 0.35 && ratio > 1 / 1.4 && ratio < 1.4
            }
            guard let second = partners.first else { continue }
            let duplicate = bases.contains { basis in
                Set([[basis.0.dx, basis.0.dy], [basis.1.dx, basis.1.dy]]) == Set([[first.dx, first.dy], [second.dx, second.dy]])
            }
            if !duplicate { bases.append((first, second)) }
        }
        var lattices = bases.map { basis in
            refine(basis.0, basis.1, at: at, strongest: strongest, n: min(n, 2 * maxLagX), m: min(m, 2 * maxLagY))
        }
        for (px, py) in axisAlignedPeriods(at: at, minimum: minimum, maximumLagX: Double(maxLagX), maximumLagY: Double(maxLagY)) {
            let lattice = Lattice(ax: px, ay: 0, bx: 0, by: py)
            if !lattices.contains(where: { abs($0.ax / px - 1) < 0.001 && abs($0.by / py - 1) < 0.001 && abs($0.angleDegrees) < 0.1 }) {
                lattices.append(lattice)
            }
        }
        return lattices.map { $0.scaled(Double(factor), Double(factor)) }
    }

    /// Periods (along x, along y) of axis-aligned tilings: a picture rescaled (each axis by its
    /// own factor, as 640x272 to 454x192 is) or cropped, not rotated. The autocorrelation is summed
    /// over every multiple of the period: many lattice points together stand out where single
    /// peaks drown in what compression left of the picture. The `count` strongest periods of
    /// both axes together, each then refined along x and along y on its own (within 3 %, to a
    /// twentieth of a pixel): a fold needs the period to about 0.1 % over a whole frame.
    /// Harmonics run up to each axis's own lag limit: a wide, short picture (454x192) holds three
    /// tile periods across and barely two down.
    static func axisAlignedPeriods(at: (Int, Int) -> Float, minimum: Double, maximumLagX: Double, maximumLagY: Double,
                                   count: Int = 3) -> [(Double, Double)] {
        let maximumLag = min(maximumLagX, maximumLagY)
        guard maximumLag > minimum else { return [] }
        func correlation(_ x: Double, _ y: Double) -> Double {
            let x0 = x.rounded(.down), y0 = y.rounded(.down)
            let fx = Float(x - x0), fy = Float(y - y0)
            let ix = Int(x0), iy = Int(y0)
            let top = at(ix, iy) * (1 - fx) + at(ix + 1, iy) * fx
            let bottom = at(ix, iy + 1) * (1 - fx) + at(ix + 1, iy + 1) * fx
            return Double(top * (1 - fy) + bottom * fy)
        }
        // Mean correlation over the multiples of `period` along x (axis 0), y (1) or both (2),
        // scaled by the square root of the terms (a sum of noise grows like that).
        func harmonicSum(_ period: Double, axis: Int) -> Double {
            var sum = 0.0, terms = 0.0
            var k = 1.0
            while k * period <= max(maximumLagX, maximumLagY) {
                if axis != 1 && k * period <= maximumLagX { sum += correlation(k * period, 0); terms += 1 }
                if axis != 0 && k * period <= maximumLagY { sum += correlation(0, k * period); terms += 1 }
                k += 1
            }
            return terms > 0 ? sum / terms.squareRoot() : 0
        }
        let step = 0.25
        let lags = Array(stride(from: minimum, through: maximumLag, by: step))
        let profile = lags.map { harmonicSum($0, axis: 2) }
        var maxima: [(period: Double, value: Double)] = []
        for i in profile.indices where profile[i] > 0 {
            let window = max(0, i - 4)...min(profile.count - 1, i + 4)
            if window.allSatisfy({ profile[$0] <= profile[i] }) { maxima.append((lags[i], profile[i])) }
        }
        func refine(_ period: Double, axis: Int) -> Double {
            var best = period, bestValue = -Double.infinity
            for candidate in stride(from: period * 0.97, through: period * 1.03, by: 0.05) {
                let value = harmonicSum(candidate, axis: axis)
                if value > bestValue { bestValue = value; best = candidate }
            }
            return best
        }
        // Also the square tiling that the longer axis (more harmonics, a sharper period) gives:
        // most rescales keep the aspect, and the short axis may hold a single period.
        let longer = maximumLagX >= maximumLagY ? 0 : 1
        var periods: [(Double, Double)] = []
        for maximum in maxima.sorted(by: { $0.value > $1.value }).prefix(count) {
            let px = refine(maximum.period, axis: 0), py = refine(maximum.period, axis: 1)
            periods.append((px, py))
            let square = longer == 0 ? px : py
            if abs(px / py - 1) > 0.001 { periods.append((square, square)) }
        }
        return periods
    }

    /// Least-squares refinement of a basis over the lattice points inside the window.
    private static func refine(_ first: (dx: Int, dy: Int, value: Float), _ second: (dx: Int, dy: Int, value: Float),
                               at: (Int, Int) -> Float, strongest: Float, n: Int, m: Int) -> Lattice {
        // Sub-pixel refinement: least squares over lattice points n·a + k·b inside the window.
        var a = (x: Double(first.dx), y: Double(first.dy)), b = (x: Double(second.dx), y: Double(second.dy))
        for _ in 0..<2 {
            var snn = 0.0, snk = 0.0, skk = 0.0
            var snp = (x: 0.0, y: 0.0), skp = (x: 0.0, y: 0.0)
            for i in -4...4 {
                for k in -4...4 where i != 0 || k != 0 {
                    let px = Double(i) * a.x + Double(k) * b.x, py = Double(i) * a.y + Double(k) * b.y
                    guard abs(px) < Double(n) / 2 - 3, abs(py) < Double(m) / 2 - 3 else { continue }
                    // Best integer position within ±2 px, then a parabolic sub-pixel step.
                    var best = (x: Int(px.rounded()), y: Int(py.rounded()))
                    var bestValue = at(best.x, best.y)
                    for oy in -2...2 { for ox in -2...2 {
                        let v = at(Int(px.rounded()) + ox, Int(py.rounded()) + oy)
                        if v > bestValue { bestValue = v; best = (Int(px.rounded()) + ox, Int(py.rounded()) + oy) }
                    } }
                    guard bestValue > 0.25 * strongest else { continue }
                    let fx = parabolicOffset(at(best.x - 1, best.y), bestValue, at(best.x + 1, best.y))
                    let fy = parabolicOffset(at(best.x, best.y - 1), bestValue, at(best.x, best.y + 1))
                    let qx = Double(best.x) + fx, qy = Double(best.y) + fy
                    let w = Double(bestValue)
                    snn += w * Double(i * i); snk += w * Double(i * k); skk += w * Double(k * k)
                    snp.x += w * Double(i) * qx; snp.y += w * Double(i) * qy
                    skp.x += w * Double(k) * qx; skp.y += w * Double(k) * qy
                }
            }
            let det = snn * skk - snk * snk
            guard det > 1e-9 else { break }
            a = (x: (skk * snp.x - snk * skp.x) / det, y: (skk * snp.y - snk * skp.y) / det)
            b = (x: (snn * skp.x - snk * snp.x) / det, y: (snn * skp.y - snk * snp.y) / det)
        }
        return Lattice(ax: a.x, ay: a.y, bx: b.x, by: b.y)
    }

    static func parabolicOffset(_ left: Float, _ centre: Float, _ right: Float) -> Double {
        let denominator = Double(left - 2 * centre + right)
        guard denominator < -1e-12 else { return 0 }
        return max(-0.5, min(0.5, 0.5 * Double(left - right) / denominator))
    }

    static func nextPowerOfTwo(_ value: Int) -> Int {
        var p = 1
        while p < value { p <<= 1 }
        return p
    }
}

extension Lattice {
    /// How far apart, in bins of a `grid`-bin tile, two tilings fold the same pixel, at worst over a
    /// `width x height` picture (its corners; the tile coordinates are linear in the pixel).
    func binDrift(to other: Lattice, width: Int, height: Int, grid: Int) -> Double {
        func tileCoordinates(_ l: Lattice, _ x: Double, _ y: Double) -> (Double, Double) {
            let det = l.determinant
            return ((x * l.by - y * l.bx) / det, (y * l.ax - x * l.ay) / det)
        }
        var worst = 0.0
        for (x, y) in [(Double(width), 0.0), (0.0, Double(height)), (Double(width), Double(height))] {
            let (s1, t1) = tileCoordinates(self, x, y), (s2, t2) = tileCoordinates(other, x, y)
            worst = max(worst, abs(s1 - s2) * Double(grid), abs(t1 - t2) * Double(grid))
        }
        return worst
    }
}
