/// Luma quality metrics between two 8-bit planes of the same size.
public enum ImageQuality {
    /// Sum of squared differences, for PSNR accumulated over many frames.
    public static func squaredError(_ a: UnsafePointer<UInt8>, _ strideA: Int, _ b: UnsafePointer<UInt8>, _ strideB: Int,
                                    width: Int, height: Int) -> Double {
        var total = 0.0
        for y in 0..<height {
            var row = 0
            let ra = a + y * strideA, rb = b + y * strideB
            for x in 0..<width {
                let d = Int(ra[x]) - Int(rb[x])
                row &+= d * d
            }
            total += Double(row)
        }
        return total
    }

    /// PSNR in dB from a mean squared error (infinity when identical).
    public static func psnr(meanSquaredError mse: Double) -> Double {
        mse <= 0 ? .infinity : 10 * log10(255 * 255 / mse)
    }

    /// Mean SSIM over 8x8 windows with a stride of 4 (as FFmpeg's `ssim` filter does).
    public static func ssim(_ a: UnsafePointer<UInt8>, _ strideA: Int, _ b: UnsafePointer<UInt8>, _ strideB: Int,
                            width: Int, height: Int) -> Double {
        let c1 = 0.01 * 255 * 0.01 * 255, c2 = 0.03 * 255 * 0.03 * 255
        var total = 0.0, windows = 0
        var y = 0
        while y + 8 <= height {
            var x = 0
            while x + 8 <= width {
                var sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0
                for j in 0..<8 {
                    let ra = a + (y + j) * strideA + x, rb = b + (y + j) * strideB + x
                    for i in 0..<8 {
                        let va = Int(ra[i]), vb = Int(rb[i])
                        sa += va; sb += vb; saa += va * va; sbb += vb * vb; sab += va * vb
                    }
                }
                let n = 64.0
                let ma = Double(sa) / n, mb = Double(sb) / n
                let va = Double(saa) / n - ma * ma, vb = Double(sbb) / n - mb * mb, cov = Double(sab) / n - ma * mb
                total += ((2 * ma * mb + c1) * (2 * cov + c2)) / ((ma * ma + mb * mb + c1) * (va + vb + c2))
                windows += 1
                x += 4
            }
            y += 4
        }
        return windows > 0 ? total / Double(windows) : 1
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
