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
    // Scratch, allocated once. Rows are processed top to bottom, one band of 16 rows (a row of
    // blocks) at a time, so all that a frame touches apart from `sum` stays in cache.
    /// Three rows of the (decimated) plane, a ring indexed by `y % 3`: pixel values (decimation 1)
    /// or 2x2 sums (decimation 2), i.e. luma in units of `1 / decimation^2` levels.
    private let planeRows: UnsafeMutablePointer<UInt16>
    /// Vertical sums of three plane rows, for the row being filtered.
    private let columnSums: UnsafeMutablePointer<UInt16>
    /// The high-pass of the current band, `block` rows of `width`.
    private let band: UnsafeMutablePointer<Float>
    /// Per column, the sum of the squared high-pass over the band's rows.
    private let columnEnergy: UnsafeMutablePointer<Float>
    /// Per column, the gain of the block it belongs to in the current band.
    private let columnGain: UnsafeMutablePointer<Float>
    private static let block = 16
    private static let clip: Float = 3

    public init(sourceWidth: Int, sourceHeight: Int) {
        self.sourceWidth = sourceWidth
        self.sourceHeight = sourceHeight
        decimation = min(sourceWidth, sourceHeight) >= 700 ? 2 : 1
        width = sourceWidth / decimation
        height = sourceHeight / decimation
        sum = [Float](repeating: 0, count: width * height)
        planeRows = .allocate(capacity: max(1, 3 * width))
        columnSums = .allocate(capacity: max(1, width))
        band = .allocate(capacity: max(1, Self.block * width))
        columnEnergy = .allocate(capacity: max(1, width))
        columnGain = .allocate(capacity: max(1, width))
    }

    deinit {
        planeRows.deallocate()
        columnSums.deallocate()
        band.deallocate()
        columnEnergy.deallocate()
        columnGain.deallocate()
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
        // The loops below are kept simple (unsafe pointers, no branches inside the innermost
        // loops) so that the optimiser vectorises them.
        loadPlaneRow(0, luma: luma, stride: stride)
        loadPlaneRow(1, luma: luma, stride: stride)
        sum.withUnsafeMutableBufferPointer { sum in
            var by = 0
            while by < height {
                let rows = min(block, height - by)
                columnEnergy.update(repeating: 0, count: width)
                for y in by..<(by + rows) {
                    let out = band + (y - by) * width
                    // No 3x3 neighbourhood in the first and last rows: zero, like the first and
                    // last columns.
                    guard y > 0, y < height - 1 else { out.update(repeating: 0, count: width); continue }
                    loadPlaneRow(y + 1, luma: luma, stride: stride)
                    highPassRow(above: planeRow(y - 1), row: planeRow(y), below: planeRow(y + 1), into: out)
                }
                // Per-block RMS normalisation and clipping, then accumulate. A block's energy is the
                // sum of its columns' energies: the same sum as pixel by pixel, up to float rounding.
                var bx = 0
                while bx < width {
                    let columns = min(block, width - bx)
                    var energy: Float = 0
                    for x in bx..<(bx + columns) { energy += columnEnergy[x] }
                    let rms = (energy / Float(rows * columns)).squareRoot()
                    (columnGain + bx).update(repeating: 1 / max(rms, 0.75), count: columns)
                    bx += block
                }
                let clip = Self.clip
                for y in 0..<rows {
                    let h = band + y * width, s = sum.baseAddress! + (by + y) * width
                    for x in 0..<width { s[x] += max(-clip, min(clip, h[x] * columnGain[x])) }
                }
                by += block
            }
        }
    }

    @inline(__always)
    private func planeRow(_ y: Int) -> UnsafeMutablePointer<UInt16> { planeRows + (y % 3) * width }

    /// Plane row `y` into its ring slot: the source row, or the 2x2 sums of two source rows.
    private func loadPlaneRow(_ y: Int, luma: UnsafePointer<UInt8>, stride: Int) {
        let out = planeRow(y)
        if decimation == 1 {
            let row = luma + y * stride
            for x in 0..<width { out[x] = UInt16(row[x]) }
        } else {
            let top = UnsafeRawPointer(luma + 2 * y * stride), bottom = top + stride
            for x in 0..<width {
                // Two neighbouring pixels read as one UInt16 (this vectorises; the sum of its
                // two bytes does not depend on the byte order).
                let upper = top.loadUnaligned(fromByteOffset: 2 * x, as: UInt16.self)
                let lower = bottom.loadUnaligned(fromByteOffset: 2 * x, as: UInt16.self)
                out[x] = (upper & 0xFF) &+ (upper >> 8) &+ (lower & 0xFF) &+ (lower >> 8)
            }
        }
    }

    /// One row of `pixel - 3x3 mean` (zero in the first and last column), adding its squares to
    /// `columnEnergy`.
    ///
    /// The 3x3 sums are exact integers (plane values are at most 4 * 255, so the sums fit in
    /// UInt16) and scaling by `unit`, a power of two, is exact, so this is bit for bit the Float
    /// `pixel - (3x3 sum) * (1 / 9)` computed from the plane in luma levels.
    private func highPassRow(above: UnsafePointer<UInt16>, row: UnsafePointer<UInt16>, below: UnsafePointer<UInt16>,
                             into out: UnsafeMutablePointer<Float>) {
        let width = self.width, columnSums = self.columnSums, columnEnergy = self.columnEnergy
        let unit: Float = decimation == 1 ? 1 : 0.25  // one plane step, in luma levels
        let ninth: Float = 1.0 / 9.0
        let boxScale = ninth * unit
        for x in 0..<width { columnSums[x] = above[x] &+ row[x] &+ below[x] }
        out[0] = 0
        out[width - 1] = 0
        for x in 1..<(width - 1) {
            let box = columnSums[x - 1] &+ columnSums[x] &+ columnSums[x + 1]
            let highPass = Float(row[x]) * unit - Float(box) * boxScale
            out[x] = highPass
            columnEnergy[x] += highPass * highPass
        }
    }
}
