#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// In-place complex FFT for power-of-two sizes on split real/imaginary arrays.
///
/// `forward` computes X[k] = Σ x[n]·e^(−2πi·kn/N) (unscaled); `inverse` computes
/// x[n] = (1/N)·Σ X[k]·e^(+2πi·kn/N), so `inverse(forward(x)) == x`.
/// Iterative radix-2 decimation in time; twiddles and the bit-reversal permutation are
/// precomputed, and calls do not allocate when the arrays are uniquely referenced.
public struct FFT: Sendable {
    public let size: Int
    private let log2Size: Int
    /// Twiddles laid out per stage: for a stage of half-length h, entries [h, 2h) hold
    /// cos/sin(−π·j/h) for j in 0..<h, so each stage reads a contiguous run.
    private let twiddleRe: [Float]
    private let twiddleIm: [Float]
    /// Pairs (i, j) with i < j to swap for the bit-reversal permutation.
    private let swapPairs: [Int32]

    public init(size: Int) {
        precondition(size >= 1 && size & (size - 1) == 0, "FFT size must be a power of two, got \(size)")
        self.size = size
        log2Size = size.trailingZeroBitCount
        var twRe = [Float](repeating: 0, count: max(size, 1))
        var twIm = [Float](repeating: 0, count: max(size, 1))
        var half = 1
        while half < size {
            for j in 0..<half {
                let angle = -Double.pi * Double(j) / Double(half)
                twRe[half + j] = Float(cos(angle))
                twIm[half + j] = Float(sin(angle))
            }
            half <<= 1
        }
        twiddleRe = twRe
        twiddleIm = twIm
        var pairs = [Int32]()
        let bits = size.trailingZeroBitCount
        for i in 0..<size {
            var reversed = 0
            var value = i
            for _ in 0..<bits {
                reversed = (reversed << 1) | (value & 1)
                value >>= 1
            }
            if i < reversed {
                pairs.append(Int32(i))
                pairs.append(Int32(reversed))
            }
        }
        swapPairs = pairs
    }

    public func forward(_ re: inout [Float], _ im: inout [Float]) {
        precondition(re.count == size && im.count == size, "FFT of size \(size) got \(re.count)/\(im.count) elements")
        re.withUnsafeMutableBufferPointer { re in
            im.withUnsafeMutableBufferPointer { im in
                transform(re.baseAddress!, im.baseAddress!)
            }
        }
    }

    public func inverse(_ re: inout [Float], _ im: inout [Float]) {
        precondition(re.count == size && im.count == size, "FFT of size \(size) got \(re.count)/\(im.count) elements")
        re.withUnsafeMutableBufferPointer { re in
            im.withUnsafeMutableBufferPointer { im in
                inverseTransform(re.baseAddress!, im.baseAddress!)
            }
        }
    }

    /// Unscaled forward transform of `size` contiguous elements.
    func transform(_ re: UnsafeMutablePointer<Float>, _ im: UnsafeMutablePointer<Float>) {
        if size == 1 { return }
        swapPairs.withUnsafeBufferPointer { pairs in
            var p = 0
            while p < pairs.count {
                let i = Int(pairs[p]), j = Int(pairs[p + 1])
                swap(&re[i], &re[j])
                swap(&im[i], &im[j])
                p += 2
            }
        }
        // First stage (h = 1): plain butterflies, twiddle 1.
        var i = 0
        while i < size {
            let ar = re[i], ai = im[i], br = re[i + 1], bi = im[i + 1]
            re[i] = ar + br; im[i] = ai + bi
            re[i + 1] = ar - br; im[i + 1] = ai - bi
            i += 2
        }
        twiddleRe.withUnsafeBufferPointer { twRe in
            twiddleIm.withUnsafeBufferPointer { twIm in
                let wRe = twRe.baseAddress!, wIm = twIm.baseAddress!
                var half = 2
                while half < size {
                    let span = half << 1
                    var start = 0
                    while start < size {
                        let aRe = re + start, aIm = im + start
                        let bRe = aRe + half, bIm = aIm + half
                        let stageRe = wRe + half, stageIm = wIm + half
                        for j in 0..<half {
                            let cr = stageRe[j], ci = stageIm[j]
                            let xr = bRe[j], xi = bIm[j]
                            let tr = xr * cr - xi * ci
                            let ti = xr * ci + xi * cr
                            let ur = aRe[j], ui = aIm[j]
                            aRe[j] = ur + tr; aIm[j] = ui + ti
                            bRe[j] = ur - tr; bIm[j] = ui - ti
                        }
                        start += span
                    }
                    half = span
                }
            }
        }
    }

    /// Scaled inverse transform. Uses IDFT(x) = swap(DFT(swap(x))) / N, where swap exchanges
    /// the real and imaginary parts, so it reuses the forward kernel with the pointers exchanged.
    func inverseTransform(_ re: UnsafeMutablePointer<Float>, _ im: UnsafeMutablePointer<Float>) {
        transform(im, re)
        let scale = 1 / Float(size)
        for k in 0..<size {
            re[k] *= scale
            im[k] *= scale
        }
    }
}

/// 2-D complex FFT on row-major split arrays (index = y·width + x): rows first, then columns.
/// Columns are processed in blocks of adjacent columns copied into a scratch buffer, which keeps
/// memory access contiguous; `inverse` includes the 1/(width·height) scaling.
public struct FFT2D: Sendable {
    public let width: Int
    public let height: Int
    private let rowFFT: FFT
    private let columnFFT: FFT
    private static let columnBlock = 16

    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
        rowFFT = FFT(size: width)
        columnFFT = FFT(size: height)
    }

    public func forward(_ re: inout [Float], _ im: inout [Float]) {
        run(&re, &im, inverse: false)
    }

    public func inverse(_ re: inout [Float], _ im: inout [Float]) {
        run(&re, &im, inverse: true)
    }

    private func run(_ re: inout [Float], _ im: inout [Float], inverse: Bool) {
        let count = width * height
        precondition(re.count == count && im.count == count,
                     "FFT2D \(width)x\(height) got \(re.count)/\(im.count) elements")
        let block = Swift.min(Self.columnBlock, width)
        let width = self.width, height = self.height
        let rowFFT = self.rowFFT, columnFFT = self.columnFFT
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * block * height) { scratch in
            let scratchRe = scratch.baseAddress!, scratchIm = scratchRe + block * height
            re.withUnsafeMutableBufferPointer { reBuffer in
                im.withUnsafeMutableBufferPointer { imBuffer in
                    let re = reBuffer.baseAddress!, im = imBuffer.baseAddress!
                    for y in 0..<height {
                        if inverse {
                            rowFFT.inverseTransform(re + y * width, im + y * width)
                        } else {
                            rowFFT.transform(re + y * width, im + y * width)
                        }
                    }
                    var x0 = 0
                    while x0 < width {
                        // Gather `block` columns: column b goes to scratch[b*height ..< (b+1)*height].
                        for y in 0..<height {
                            let rowRe = re + y * width + x0, rowIm = im + y * width + x0
                            for b in 0..<block {
                                scratchRe[b * height + y] = rowRe[b]
                                scratchIm[b * height + y] = rowIm[b]
                            }
                        }
                        for b in 0..<block {
                            if inverse {
                                columnFFT.inverseTransform(scratchRe + b * height, scratchIm + b * height)
                            } else {
                                columnFFT.transform(scratchRe + b * height, scratchIm + b * height)
                            }
                        }
                        for y in 0..<height {
                            let rowRe = re + y * width + x0, rowIm = im + y * width + x0
                            for b in 0..<block {
                                rowRe[b] = scratchRe[b * height + y]
                                rowIm[b] = scratchIm[b * height + y]
                            }
                        }
                        x0 += block
                    }
                }
            }
        }
    }
}
