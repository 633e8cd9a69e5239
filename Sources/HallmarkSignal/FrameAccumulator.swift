/// Sums whitened luma over frames, the detector's only per-frame work.
///
/// Each frame is (optionally 2x2-averaged for frames above ~2.6 megapixels, then) high-passed
/// (the pixel minus its 3x3 mean, which removes most of the picture and keeps the pattern's band),
/// normalised per 16x16 block by the block's RMS and clipped, so that edges and textured areas
/// do not outvote the rest, and added to a running sum. The watermark is static, so it adds up
/// coherently while the picture, which changes, averages out.
public final class FrameAccumulator {
    public let width: Int
    public let height: Int
    /// 1, or 2 when frames are averaged 2x2 before analysis.
    public let decimation: Int
    public let sourceWidth: Int
    public let sourceHeight: Int
    public private(set) var frameCount = 0
    private(set) var sum: [Float]
    // Scratch, allocated once. Rows are processed top to bottom, one 16-row band of blocks at a
    // time, so everything the per-frame work touches except `sum` stays in cache.
    /// Three rows of the (decimated) plane, a ring indexed by `y % 3`: pixel values (decimation 1)
    /// or 2x2 sums (decimation 2), i.e. luma in units of `1 / decimation^2` levels.
    private let planeRows: UnsafeMutablePointer<UInt16>
    /// Vertical 3-row sums of the current row.
    private let columnSums: UnsafeMutablePointer<UInt16>
    /// The high-pass of the current band of `block` rows.
    private let band: UnsafeMutablePointer<Float>
    private static let block = 16
    private static let clip: Float = 3

    public init(sourceWidth: Int, sourceHeight: Int) {
        self.sourceWidth = sourceWidth
        self.sourceHeight = sourceHeight
        decimation = sourceWidth * sourceHeight > 2_600_000 ? 2 : 1
        width = sourceWidth / decimation
        height = sourceHeight / decimation
        sum = [Float](repeating: 0, count: width * height)
        planeRows = .allocate(capacity: max(1, 3 * width))
        columnSums = .allocate(capacity: max(1, width))
        band = .allocate(capacity: max(1, Self.block * width))
    }

    deinit {
        planeRows.deallocate()
        columnSums.deallocate()
        band.deallocate()
    }

    /// A copy of the mean of the accumulated frames.
    public var mean: [Float] {
        let scale = frameCount > 0 ? 1 / Float(frameCount) : 0
        return sum.map { $0 * scale }
    }

    /// Adds the sum of another accumulator of the same size (e.g. a time window into the whole).
    public func add(_ other: FrameAccumulator) {
        precondition(other.width == width && other.height == height)
        sum.withUnsafeMutableBufferPointer { sum in
            other.sum.withUnsafeBufferPointer { o in
                for i in 0..<sum.count { sum[i] += o[i] }
            }
        }
        frameCount += other.frameCount
    }

    public func reset() {
        for i in sum.indices { sum[i] = 0 }
        frameCount = 0
    }

    /// Adds one 8-bit luma plane of `sourceWidth x sourceHeight`.
    public func add(luma: UnsafePointer<UInt8>, stride: Int) {
        frameCount += 1
        let width = self.width, height = self.height, block = Self.block
        guard width >= 3, height >= 3 else { return }
        // All of the high-pass is exact integer arithmetic except the last step, so it matches
        // `pixel - (sum of the 3x3 neighbourhood) / 9` computed in Float bit for bit.
        let unit: Float = decimation == 1 ? 1 : 0.25  // one plane-row step in luma levels
        let ninth: Float = 1.0 / 9.0
        let boxScale = ninth * unit                    // exact: unit is a power of two
        loadPlaneRow(0, luma: luma, stride: stride)
        loadPlaneRow(1, luma: luma, stride: stride)
        sum.withUnsafeMutableBufferPointer { sum in
            var by = 0
            while by < height {
                let rows = min(block, height - by)
                for y in by..<(by + rows) {
                    let out = band + (y - by) * width
                    // The first and last rows have no 3x3 neighbourhood: zero, as are the first
                    // and last columns.
                    guard y > 0, y < height - 1 else { out.update(repeating: 0, count: width); continue }
                    loadPlaneRow(y + 1, luma: luma, stride: stride)
                    highPassRow(above: planeRow(y - 1), row: planeRow(y), below: planeRow(y + 1),
                                unit: unit, boxScale: boxScale, into: out)
                }
                normaliseBand(rows: rows, addingTo: sum.baseAddress! + by * width)
                by += block
            }
        }
    }

    @inline(__always)
    private func planeRow(_ y: Int) -> UnsafeMutablePointer<UInt16> { planeRows + (y % 3) * width }

    /// Plane row `y` into its ring slot: the source row, or the 2x2 sums of two source rows.
    private func loadPlaneRow(_ y: Int, luma: UnsafePointer<UInt8>, stride: Int) {
        let out = planeRow(y), width = self.width
        var x = 0
        if decimation == 1 {
            let row = luma + y * stride
            while x + 16 <= width {
                let bytes = UnsafeRawPointer(row + x).loadUnaligned(as: SIMD16<UInt8>.self)
                UnsafeMutableRawPointer(out + x).storeBytes(of: SIMD16<UInt16>(truncatingIfNeeded: bytes), as: SIMD16<UInt16>.self)
                x += 16
            }
            while x < width { out[x] = UInt16(row[x]); x += 1 }
        } else {
            let top = luma + 2 * y * stride, bottom = top + stride
            while x + 16 <= width {
                // 32 source columns: add the two rows, then neighbouring (even + odd) columns.
                let pairs = SIMD32<UInt16>(truncatingIfNeeded: UnsafeRawPointer(top + 2 * x).loadUnaligned(as: SIMD32<UInt8>.self))
                    &+ SIMD32<UInt16>(truncatingIfNeeded: UnsafeRawPointer(bottom + 2 * x).loadUnaligned(as: SIMD32<UInt8>.self))
                UnsafeMutableRawPointer(out + x).storeBytes(of: pairs.evenHalf &+ pairs.oddHalf, as: SIMD16<UInt16>.self)
                x += 16
            }
            while x < width {
                out[x] = UInt16(top[2 * x]) &+ UInt16(top[2 * x + 1]) &+ UInt16(bottom[2 * x]) &+ UInt16(bottom[2 * x + 1])
                x += 1
            }
        }
    }

    /// One row of `pixel - 3x3 mean` (zero in the first and last column), 16 pixels per vector.
    /// Plane values are at most 4 * 255, so 3x3 sums (<= 9180) fit in UInt16.
    private func highPassRow(above: UnsafePointer<UInt16>, row: UnsafePointer<UInt16>, below: UnsafePointer<UInt16>,
                             unit: Float, boxScale: Float, into out: UnsafeMutablePointer<Float>) {
        let width = self.width, columnSums = self.columnSums
        @inline(__always) func load(_ p: UnsafePointer<UInt16>) -> SIMD16<UInt16> {
            UnsafeRawPointer(p).loadUnaligned(as: SIMD16<UInt16>.self)
        }
        // Vertical sums of three rows, then horizontal sums of three of those.
        var x = 0
        while x + 16 <= width {
            let sums = load(above + x) &+ load(row + x) &+ load(below + x)
            UnsafeMutableRawPointer(columnSums + x).storeBytes(of: sums, as: SIMD16<UInt16>.self)
            x += 16
        }
        while x < width { columnSums[x] = above[x] &+ row[x] &+ below[x]; x += 1 }
        out[0] = 0
        x = 1
        while x + 16 <= width - 1 {
            let box = load(columnSums + x - 1) &+ load(columnSums + x) &+ load(columnSums + x + 1)
            let highPass = SIMD16<Float>(load(row + x)) * unit - SIMD16<Float>(box) * boxScale
            UnsafeMutableRawPointer(out + x).storeBytes(of: highPass, as: SIMD16<Float>.self)
            x += 16
        }
        while x < width - 1 {
            let box = columnSums[x - 1] &+ columnSums[x] &+ columnSums[x + 1]
            out[x] = Float(row[x]) * unit - Float(box) * boxScale
            x += 1
        }
        out[width - 1] = 0
    }

    /// Per-block RMS normalisation and clipping of the band's high-pass, added into `sum`
    /// (which points at the band's first row).
    private func normaliseBand(rows: Int, addingTo sum: UnsafeMutablePointer<Float>) {
        let width = self.width, block = Self.block, clip = Self.clip
        var bx = 0
        while bx < width {
            let columns = min(block, width - bx)
            let area = Float(rows * columns)
            if columns == block {
                // One vector per block row; energy is summed per lane, then across lanes.
                @inline(__always) func highPass(_ y: Int) -> SIMD16<Float> {
                    UnsafeRawPointer(band + y * width + bx).loadUnaligned(as: SIMD16<Float>.self)
                }
                var energy = SIMD16<Float>()
                for y in 0..<rows { let h = highPass(y); energy += h * h }
                let rms = (energy.sum() / area).squareRoot()
                let gain = 1 / max(rms, 0.75)
                for y in 0..<rows {
                    let s = UnsafeMutableRawPointer(sum + y * width + bx)
                    var value = highPass(y) * gain
                    value.replace(with: clip, where: value .> clip)
                    value.replace(with: -clip, where: value .< -clip)
                    s.storeBytes(of: s.loadUnaligned(as: SIMD16<Float>.self) + value, as: SIMD16<Float>.self)
                }
            } else {
                var energy: Float = 0
                for y in 0..<rows {
                    let h = band + y * width
                    for x in bx..<(bx + columns) { energy += h[x] * h[x] }
                }
                let rms = (energy / area).squareRoot()
                let gain = 1 / max(rms, 0.75)
                for y in 0..<rows {
                    let h = band + y * width, s = sum + y * width
                    for x in bx..<(bx + columns) { s[x] += max(-clip, min(clip, h[x] * gain)) }
                }
            }
            bx += block
        }
    }
}
