#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One frame's 64-bit perceptual hash: the signs of 64 low-frequency DCT coefficients of a 32x32
/// area-averaged thumbnail of the frame's luma, after flat borders (letterbox, pillarbox, pad) are
/// trimmed and the central 70 % is kept (`PerceptualHasher.central`).
///
/// Why this works against the transformations a copy goes through:
/// - re-encoding and rescaling change fine detail, not the lowest spatial frequencies;
/// - brightness and contrast are `a·Y + b` with a > 0, which leaves the sign of every AC
///   coefficient unchanged (the DC term is not used); gamma is monotone and moves them little;
/// - a horizontal flip multiplies the coefficient of horizontal frequency u by (-1)^u, so the
///   flipped frame's hash is `hash ^ flipMask` exactly: matching tries both, no second hash;
/// - a logo covers a small part of the frame and moves few low-frequency signs; a caption or
///   subtitle band moves many, so every frame is also hashed above the band (`captionBand`);
/// - a centred crop keeping a fraction c of each side: a suspect is also hashed over the central
///   0.7 / c of its picture for c in `cropHypotheses`, which is the source's central 70 % again.
///
/// Bit i is the sign of coefficient `coefficients[i]` = (u, v), taken in order of increasing
/// u + v (then v), DC excluded: all 65 pairs with u + v <= 10 but the last.
public struct PerceptualHash: Sendable, Hashable {
    public var bits: UInt64
    /// False when the frame is nearly flat (black, a fade, a solid card): its signs are noise and
    /// must not count as evidence.
    public var informative: Bool

    public init(bits: UInt64, informative: Bool) {
        self.bits = bits
        self.informative = informative
    }

    /// (u, v) of each bit, u horizontal.
    public static let coefficients: [(u: Int, v: Int)] = {
        var pairs: [(u: Int, v: Int)] = []
        for sum in 1...10 { for v in 0...sum { pairs.append((sum - v, v)) } }
        return Array(pairs.prefix(64))
    }()

    /// The bits that a horizontal flip inverts: those of odd horizontal frequency.
    public static let flipMask: UInt64 = {
        var mask: UInt64 = 0
        for (i, c) in coefficients.enumerated() where c.u % 2 == 1 { mask |= 1 << UInt64(i) }
        return mask
    }()

    /// The hash of the mirrored frame.
    public var flipped: PerceptualHash { PerceptualHash(bits: bits ^ Self.flipMask, informative: informative) }

    /// Number of bits that differ.
    @inline(__always)
    public func distance(to other: PerceptualHash) -> Int { (bits ^ other.bits).nonzeroBitCount }
}

/// Computes `PerceptualHash`es of luma planes. Holds only scratch buffers; one hasher per thread.
public final class PerceptualHasher {
    /// Side of the coarse grid the frame is first averaged into (trimming works at this precision).
    static let grid = 128
    /// Side of the thumbnail the DCT is taken of.
    static let side = 32
    /// Fraction of each side of the trimmed picture hashed, centred.
    public static let central = 0.7
    /// Fraction of the hashed region's height, at its bottom, that a second hash of each frame
    /// leaves out: where captions, burnt-in subtitles and reposters' text go. A bright caption box
    /// flips a third of the whole-region signs; the hash above it, kept for references and
    /// suspects alike, does not see it (`Fingerprint.aboveCaptions`).
    public static let captionBand = 0.3
    /// Centred crops (fraction of each side kept) a suspect is also hashed for.
    public static let cropHypotheses = [0.9, 0.8, 0.7]
    /// A grid row or column whose values span at most this many luma levels is flat (a border).
    static let flatSpan: Float = 6
    /// At most this fraction of each side is trimmed as border.
    static let maximumTrim = 0.4
    /// Below this standard deviation (luma levels) of the thumbnail a frame is not informative.
    static let minimumDeviation: Float = 2

    private var sums = [Float](repeating: 0, count: grid * grid)
    private var counts = [Float](repeating: 0, count: grid * grid)
    private var columnBin: [Int] = []
    private var binnedWidth = 0
    /// cos basis: basis[k * side + n] for k in 0...10.
    private let basis: [Float]

    public init() {
        var basis = [Float](repeating: 0, count: 11 * Self.side)
        for k in 0...10 {
            for n in 0..<Self.side {
                basis[k * Self.side + n] = Float(cos(Double.pi * Double(k) * (Double(n) + 0.5) / Double(Self.side)))
            }
        }
        self.basis = basis
    }

    /// The hash of a luma plane (`stride` bytes between rows).
    public func hash(luma: UnsafePointer<UInt8>, stride: Int, width: Int, height: Int) -> PerceptualHash {
        hashes(luma: luma, stride: stride, width: width, height: height, crops: [1])[0]
    }

    /// The hash of the picture as if it were a centred crop keeping `crops[i]` of each side of
    /// its source, for each i (1: not cropped). One pass over the pixels for all of them.
    public func hashes(luma: UnsafePointer<UInt8>, stride: Int, width: Int, height: Int, crops: [Double]) -> [PerceptualHash] {
        guard let grid = grid(luma: luma, stride: stride, width: width, height: height) else {
            return crops.map { _ in PerceptualHash(bits: 0, informative: false) }
        }
        return crops.map { hash(grid, crop: $0) }
    }

    /// The frame averaged into the coarse grid, with its trimmed picture box: what every hash of
    /// the frame is computed from. Nil for a frame too small to hash.
    public func grid(luma: UnsafePointer<UInt8>, stride: Int, width: Int, height: Int) -> LumaGrid? {
        guard width >= 8, height >= 8 else { return nil }
        let averaged = averageIntoGrid(luma: luma, stride: stride, width: width, height: height)
        return LumaGrid(values: averaged.values, columns: averaged.columns, rows: averaged.rows,
                        picture: trimmedBox(averaged.values, columns: averaged.columns, rows: averaged.rows))
    }

    /// The hash of `grid` as if its picture were a centred crop keeping `crop` of each side of its
    /// source; `aboveCaptions`: of the hashed region without its lower `captionBand`.
    public func hash(_ grid: LumaGrid, crop: Double, aboveCaptions: Bool = false) -> PerceptualHash {
        signs(of: resample(grid.values, columns: grid.columns, box: grid.hashedRegion(crop: crop, aboveCaptions: aboveCaptions)))
    }

    /// A small grey picture of the whole frame `width` wide with the frame's aspect ratio.
    func thumbnail(of grid: LumaGrid, width: Int, frameWidth: Int, frameHeight: Int) -> FrameThumbnail {
        let h = max(2, min(255, Int((Double(width) * Double(frameHeight) / Double(frameWidth)).rounded())))
        let values = resample(grid.values, columns: grid.columns, box: (0, 0, Double(grid.columns), Double(grid.rows)), width: width, height: h)
        return FrameThumbnail(width: width, height: h, pixels: values.map { UInt8(max(0, min(255, $0.rounded()))) })
    }

    /// The frame averaged into at most `grid` x `grid` cells (fewer for a small frame).
    private func averageIntoGrid(luma: UnsafePointer<UInt8>, stride: Int, width: Int, height: Int) -> (values: [Float], columns: Int, rows: Int) {
        let columns = min(Self.grid, width), rows = min(Self.grid, height)
        if binnedWidth != width || columnBin.count != width {
            columnBin = (0..<width).map { $0 * columns / width }
            binnedWidth = width
        }
        for i in 0..<(columns * rows) { sums[i] = 0; counts[i] = 0 }
        var rowSums = [UInt32](repeating: 0, count: columns)
        columnBin.withUnsafeBufferPointer { bins in
            for y in 0..<height {
                let row = y * rows / height
                let pixels = luma + y * stride
                for i in 0..<columns { rowSums[i] = 0 }
                rowSums.withUnsafeMutableBufferPointer { acc in
                    for x in 0..<width { acc[bins[x]] &+= UInt32(pixels[x]) }
                }
                for i in 0..<columns { sums[row * columns + i] += Float(rowSums[i]) }
            }
        }
        // Cell pixel counts are separable: (pixels in the column bin) x (rows in the row bin).
        var perColumn = [Float](repeating: 0, count: columns), perRow = [Float](repeating: 0, count: rows)
        for x in 0..<width { perColumn[columnBin[x]] += 1 }
        for y in 0..<height { perRow[y * rows / height] += 1 }
        var values = [Float](repeating: 0, count: columns * rows)
        for r in 0..<rows { for c in 0..<columns { values[r * columns + c] = sums[r * columns + c] / (perColumn[c] * perRow[r]) } }
        return (values, columns, rows)
    }

    /// The picture inside flat borders, in grid cells.
    func trimmedBox(_ values: [Float], columns: Int, rows: Int) -> (x0: Double, y0: Double, x1: Double, y1: Double) {
        func flatRow(_ r: Int, _ c0: Int, _ c1: Int) -> Bool {
            var low = Float.greatestFiniteMagnitude, high = -Float.greatestFiniteMagnitude
            for c in c0..<c1 { let v = values[r * columns + c]; low = min(low, v); high = max(high, v) }
            return high - low <= Self.flatSpan
        }
        func flatColumn(_ c: Int, _ r0: Int, _ r1: Int) -> Bool {
            var low = Float.greatestFiniteMagnitude, high = -Float.greatestFiniteMagnitude
            for r in r0..<r1 { let v = values[r * columns + c]; low = min(low, v); high = max(high, v) }
            return high - low <= Self.flatSpan
        }
        let maxRows = Int(Double(rows) * Self.maximumTrim), maxColumns = Int(Double(columns) * Self.maximumTrim)
        var top = 0, bottom = rows
        while top < maxRows, flatRow(top, 0, columns) { top += 1 }
        while rows - bottom < maxRows, flatRow(bottom - 1, 0, columns) { bottom -= 1 }
        var left = 0, right = columns
        while left < maxColumns, flatColumn(left, top, bottom) { left += 1 }
        while columns - right < maxColumns, flatColumn(right - 1, top, bottom) { right -= 1 }
        // A wholly flat frame trims nothing (it is uninformative anyway).
        if top == maxRows && rows - bottom == maxRows { top = 0; bottom = rows }
        if left == maxColumns && columns - right == maxColumns { left = 0; right = columns }
        return (Double(left), Double(top), Double(right), Double(bottom))
    }

    /// Area-average resampling of the grid box to `side` x `side`.
    private func resample(_ values: [Float], columns: Int, box: (x0: Double, y0: Double, x1: Double, y1: Double),
                          width: Int = side, height: Int = side) -> [Float] {
        let wx = Self.areaWeights(from: box.x0, to: box.x1, cells: width)
        let wy = Self.areaWeights(from: box.y0, to: box.y1, cells: height)
        // Rows first: height x columns, then columns.
        var partial = [Float](repeating: 0, count: height * columns)
        for (j, weights) in wy.enumerated() {
            for (r, weight) in weights {
                for c in 0..<columns { partial[j * columns + c] += weight * values[r * columns + c] }
            }
        }
        var out = [Float](repeating: 0, count: width * height)
        for j in 0..<height {
            for (i, weights) in wx.enumerated() {
                var total: Float = 0
                for (c, weight) in weights { total += weight * partial[j * columns + c] }
                out[j * width + i] = total
            }
        }
        return out
    }

    /// For each of `cells` equal parts of [from, to), the grid cells it overlaps and the weights
    /// (overlap / part length).
    static func areaWeights(from start: Double, to end: Double, cells: Int) -> [[(Int, Float)]] {
        let step = (end - start) / Double(cells)
        return (0..<cells).map { i in
            let a = start + Double(i) * step, b = a + step
            var weights: [(Int, Float)] = []
            var cell = Int(a.rounded(.down))
            while Double(cell) < b {
                let overlap = min(b, Double(cell + 1)) - max(a, Double(cell))
                if overlap > 0 { weights.append((cell, Float(overlap / step))) }
                cell += 1
            }
            return weights
        }
    }

    /// The signs of the 64 coefficients, and whether the thumbnail is more than flat.
    private func signs(of thumbnail: [Float]) -> PerceptualHash {
        let side = Self.side
        var mean: Float = 0
        for v in thumbnail { mean += v }
        mean /= Float(thumbnail.count)
        var variance: Float = 0
        for v in thumbnail { variance += (v - mean) * (v - mean) }
        let deviation = (variance / Float(thumbnail.count)).squareRoot()
        // Vertical transform: rows k (0...10) x columns.
        var vertical = [Float](repeating: 0, count: 11 * side)
        for k in 0...10 {
            for y in 0..<side {
                let b = basis[k * side + y]
                for x in 0..<side { vertical[k * side + x] += b * (thumbnail[y * side + x] - mean) }
            }
        }
        var bits: UInt64 = 0
        for (i, c) in PerceptualHash.coefficients.enumerated() {
            var total: Float = 0
            for x in 0..<side { total += basis[c.u * side + x] * vertical[c.v * side + x] }
            if total > 0 { bits |= 1 << UInt64(i) }
        }
        return PerceptualHash(bits: bits, informative: deviation >= Self.minimumDeviation)
    }
}
