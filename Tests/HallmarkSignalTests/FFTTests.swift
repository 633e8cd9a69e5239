#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Testing
import HallmarkSignal

@Suite struct FFTTests {
    static func randomSignal(_ count: Int, domain: String) -> ([Float], [Float]) {
        var random = KeyedRandom(key: [UInt8](repeating: 5, count: 32), domain: domain)
        let re = (0..<count).map { _ in Float(random.nextUnit() * 2 - 1) }
        let im = (0..<count).map { _ in Float(random.nextUnit() * 2 - 1) }
        return (re, im)
    }

    /// Direct O(n²) DFT in Double precision; sign −1 for forward.
    static func naiveDFT(_ re: [Float], _ im: [Float], sign: Double = -1) -> ([Double], [Double]) {
        let n = re.count
        var outRe = [Double](repeating: 0, count: n), outIm = [Double](repeating: 0, count: n)
        for k in 0..<n {
            for t in 0..<n {
                let angle = sign * 2 * Double.pi * Double((k * t) % n) / Double(n)
                outRe[k] += Double(re[t]) * cos(angle) - Double(im[t]) * sin(angle)
                outIm[k] += Double(re[t]) * sin(angle) + Double(im[t]) * cos(angle)
            }
        }
        return (outRe, outIm)
    }

    /// ‖a − b‖₂ / ‖b‖₂ over both parts.
    static func relativeError(_ re: [Float], _ im: [Float], _ refRe: [Double], _ refIm: [Double]) -> Double {
        var difference = 0.0, norm = 0.0
        for i in re.indices {
            let dr = Double(re[i]) - refRe[i], di = Double(im[i]) - refIm[i]
            difference += dr * dr + di * di
            norm += refRe[i] * refRe[i] + refIm[i] * refIm[i]
        }
        return (difference / norm).squareRoot()
    }

    @Test(arguments: [1, 2, 4, 8, 16, 64, 256, 1024])
    func forwardMatchesNaiveDFT(size: Int) {
        var (re, im) = Self.randomSignal(size, domain: "fft.\(size)")
        let (refRe, refIm) = Self.naiveDFT(re, im)
        FFT(size: size).forward(&re, &im)
        #expect(Self.relativeError(re, im, refRe, refIm) < 1e-4)
        // Also elementwise: no single bin is far off.
        let scale = Double(size).squareRoot()
        for k in 0..<size {
            #expect(abs(Double(re[k]) - refRe[k]) < 1e-3 * scale)
            #expect(abs(Double(im[k]) - refIm[k]) < 1e-3 * scale)
        }
    }

    @Test func inverseMatchesNaiveScaledIDFT() {
        var (re, im) = Self.randomSignal(128, domain: "fft.inverse")
        var (refRe, refIm) = Self.naiveDFT(re, im, sign: +1)
        refRe = refRe.map { $0 / 128 }
        refIm = refIm.map { $0 / 128 }
        FFT(size: 128).inverse(&re, &im)
        #expect(Self.relativeError(re, im, refRe, refIm) < 1e-4)
    }

    @Test func knownSpectrum() {
        // A pure complex exponential at bin 3 puts all energy N at bin 3.
        let n = 32
        var re = (0..<n).map { Float(cos(2 * Double.pi * 3 * Double($0) / Double(n))) }
        var im = (0..<n).map { Float(sin(2 * Double.pi * 3 * Double($0) / Double(n))) }
        FFT(size: n).forward(&re, &im)
        for k in 0..<n {
            #expect(abs(re[k] - (k == 3 ? Float(n) : 0)) < 1e-4)
            #expect(abs(im[k]) < 1e-4)
        }
    }

    @Test func roundTripRestoresInput() {
        let (originalRe, originalIm) = Self.randomSignal(4096, domain: "fft.roundtrip")
        var re = originalRe, im = originalIm
        let fft = FFT(size: 4096)
        fft.forward(&re, &im)
        #expect(re != originalRe)
        fft.inverse(&re, &im)
        for i in re.indices {
            #expect(abs(re[i] - originalRe[i]) < 1e-5)
            #expect(abs(im[i] - originalIm[i]) < 1e-5)
        }
    }

    @Test(arguments: [(8, 4), (32, 16), (4, 64), (1, 8), (64, 64)])
    func fft2DMatchesSeparableNaiveDFT(width: Int, height: Int) {
        var (re, im) = Self.randomSignal(width * height, domain: "fft2d.\(width)x\(height)")
        // Reference: naive DFT over each row, then over each column (Double precision).
        var refRe = [Double](repeating: 0, count: width * height), refIm = refRe
        for y in 0..<height {
            let row = y * width ..< (y + 1) * width
            let (r, i) = Self.naiveDFT(Array(re[row]), Array(im[row]))
            refRe.replaceSubrange(row, with: r)
            refIm.replaceSubrange(row, with: i)
        }
        for x in 0..<width {
            var columnRe = [Double](repeating: 0, count: height), columnIm = columnRe
            for k in 0..<height {
                for y in 0..<height {
                    let angle = -2 * Double.pi * Double((k * y) % height) / Double(height)
                    let (r, i) = (refRe[y * width + x], refIm[y * width + x])
                    columnRe[k] += r * cos(angle) - i * sin(angle)
                    columnIm[k] += r * sin(angle) + i * cos(angle)
                }
            }
            for k in 0..<height {
                refRe[k * width + x] = columnRe[k]
                refIm[k * width + x] = columnIm[k]
            }
        }
        let original = (re, im)
        let fft = FFT2D(width: width, height: height)
        fft.forward(&re, &im)
        #expect(Self.relativeError(re, im, refRe, refIm) < 1e-4)
        fft.inverse(&re, &im)
        for i in re.indices {
            #expect(abs(re[i] - original.0[i]) < 1e-5)
            #expect(abs(im[i] - original.1[i]) < 1e-5)
        }
    }

    @Test func fft2DOfImpulseIsFlat() {
        let (width, height) = (16, 8)
        var re = [Float](repeating: 0, count: width * height), im = re
        re[0] = 1
        FFT2D(width: width, height: height).forward(&re, &im)
        #expect(re.allSatisfy { abs($0 - 1) < 1e-6 })
        #expect(im.allSatisfy { abs($0) < 1e-6 })
        // A shifted impulse at (x, y) = (1, 0) gives a phase ramp along x only.
        re = [Float](repeating: 0, count: width * height)
        im = re
        re[1] = 1
        FFT2D(width: width, height: height).forward(&re, &im)
        for v in 0..<height {
            for u in 0..<width {
                let angle = -2 * Double.pi * Double(u) / Double(width)
                #expect(abs(Double(re[v * width + u]) - cos(angle)) < 1e-5)
                #expect(abs(Double(im[v * width + u]) - sin(angle)) < 1e-5)
            }
        }
    }
}
