/// Adds the spectral watermark to 8-bit luma planes.
///
/// The keyed tile of ±1 cells is interpolated bilinearly between cell centres (a smooth pattern
/// with no cell edges, so its energy sits in low-mid frequencies that survive compression and
/// scaling) and repeated over the frame. Its amplitude follows a mild perceptual mask per
/// 16x16 block: weaker in flat and dark blocks, stronger in texture.
public final class WatermarkEmbedder {
    public let width: Int
    public let height: Int
    /// Peak amplitude in luma levels before masking.
    public let strength: Float
    /// The pattern at full frame size, already scaled by `strength`.
    private let pattern: [Float]
    private static let block = 16

    public init(key: WatermarkKey, markId: UInt64, width: Int, height: Int, strength: Float = 3.0) {
        self.width = width
        self.height = height
        self.strength = strength
        let layout = WatermarkLayout(key: key)
        let tile = layout.tile(markId: markId)
        let cell = WatermarkLayout.cellSize(width: width, height: height)
        pattern = Self.render(tile: tile, cellSize: cell, width: width, height: height, scale: strength)
    }

    /// The tile repeated over a `width x height` canvas, bilinear between cell centres.
    static func render(tile: [Float], cellSize: Float, width: Int, height: Int, scale: Float) -> [Float] {
        let side = WatermarkLayout.side
        // Per column: the two cell indices and the weight of the right one.
        func axis(_ count: Int) -> (lo: [Int], hi: [Int], weight: [Float]) {
            var lo = [Int](repeating: 0, count: count), hi = lo, weight = [Float](repeating: 0, count: count)
            for i in 0..<count {
                let u = (Float(i) + 0.5) / cellSize - 0.5
                let floorU = u.rounded(.down)
                let index = Int(floorU)
                lo[i] = ((index % side) + side) % side
                hi[i] = (lo[i] + 1) % side
                weight[i] = u - floorU
            }
            return (lo, hi, weight)
        }
        let xs = axis(width), ys = axis(height)
        var out = [Float](repeating: 0, count: width * height)
        out.withUnsafeMutableBufferPointer { out in
            tile.withUnsafeBufferPointer { tile in
                for y in 0..<height {
                    let rowLo = ys.lo[y] * side, rowHi = ys.hi[y] * side, wy = ys.weight[y]
                    for x in 0..<width {
                        let wx = xs.weight[x]
                        let top = tile[rowLo + xs.lo[x]] * (1 - wx) + tile[rowLo + xs.hi[x]] * wx
                        let bottom = tile[rowHi + xs.lo[x]] * (1 - wx) + tile[rowHi + xs.hi[x]] * wx
                        out[y * width + x] = (top * (1 - wy) + bottom * wy) * scale
                    }
                }
            }
        }
        return out
    }

    /// Perceptual weight of one block from its mean absolute gradient and mean level.
    @inline(__always)
    static func maskWeight(activity: Float, meanLevel: Float) -> Float {
        var weight = 0.65 + 0.6 * min(1, activity / 8)
        if meanLevel < 40 { weight *= 0.55 + 0.45 * meanLevel / 40 }
        return weight
    }

    /// Adds the watermark to one luma plane in place.
    ///
    /// Each 16x16 block gets `pixel + pattern * weight`, rounded half away from zero and clamped to
    /// 0...255, where `weight` comes from the block's statistics measured on the pixels before any
    /// change (the blocks to the right and below, which the statistics look into, are not yet marked).
    public func embed(luma: UnsafeMutablePointer<UInt8>, stride: Int) {
        precondition(stride >= width)
        let block = Self.block, width = self.width, height = self.height
        pattern.withUnsafeBufferPointer { pattern in
            guard let pattern = pattern.baseAddress else { return }  // empty frame
            var by = 0
            while by < height {
                let rows = min(block, height - by)
                var bx = 0
                while bx < width {
                    let columns = min(block, width - bx)
                    let (sum, gradient) = Self.statistics(luma: luma, stride: stride, width: width, height: height,
                                                          x: bx, y: by, columns: columns, rows: rows)
                    let area = Float(rows * columns)
                    let weight = Self.maskWeight(activity: Float(gradient) / area, meanLevel: Float(sum) / area)
                    if columns == block {
                        Self.addPattern16(luma: luma + by * stride + bx, stride: stride,
                                          pattern: pattern + by * width + bx, patternStride: width, rows: rows, weight: weight)
                    } else {
                        for y in by..<(by + rows) {
                            let row = luma + y * stride, patternRow = pattern + y * width
                            for x in bx..<(bx + columns) {
                                let value = Float(row[x]) + patternRow[x] * weight
                                row[x] = UInt8(max(0, min(255, value.rounded())))
                            }
                        }
                    }
                    bx += block
                }
                by += block
            }
        }
    }

    /// Sum of the pixels and of their absolute horizontal + vertical gradients (to the right and
    /// below, replicating the last column and row) over one block.
    @inline(__always)
    private static func statistics(luma: UnsafeMutablePointer<UInt8>, stride: Int, width: Int, height: Int,
                                   x bx: Int, y by: Int, columns: Int, rows: Int) -> (sum: Int, gradient: Int) {
        if columns == block && bx + block < width {
            // A full block with a column to its right: 16 pixels per vector, one vector per row.
            // Per lane, 16 rows of sums (<= 16 * 255) and gradients (<= 16 * 510) fit in UInt16.
            var sums = SIMD16<UInt16>(), gradients = SIMD16<UInt16>()
            for y in by..<(by + rows) {
                let row = UnsafeRawPointer(luma + y * stride + bx)
                let below = y + 1 < height ? row + stride : row
                let here = row.loadUnaligned(as: SIMD16<UInt8>.self)
                let right = (row + 1).loadUnaligned(as: SIMD16<UInt8>.self)
                let down = below.loadUnaligned(as: SIMD16<UInt8>.self)
                // |a - b| of bytes without widening: max - min.
                let dx = pointwiseMax(here, right) &- pointwiseMin(here, right)
                let dy = pointwiseMax(here, down) &- pointwiseMin(here, down)
                sums &+= SIMD16<UInt16>(truncatingIfNeeded: here)
                gradients &+= SIMD16<UInt16>(truncatingIfNeeded: dx) &+ SIMD16<UInt16>(truncatingIfNeeded: dy)
            }
            return (Int(SIMD16<UInt32>(truncatingIfNeeded: sums).wrappedSum()),
                    Int(SIMD16<UInt32>(truncatingIfNeeded: gradients).wrappedSum()))
        }
        // The last block column (partial, or no column to its right): plain loops.
        var gradient = 0, sum = 0
        for y in by..<(by + rows) {
            let row = luma + y * stride
            let below = y + 1 < height ? row + stride : row
            for x in bx..<(bx + columns) {
                let value = Int(row[x])
                sum &+= value
                let right = x + 1 < width ? Int(row[x + 1]) : value
                gradient &+= abs(right - value) &+ abs(Int(below[x]) - value)
            }
        }
        return (sum, gradient)
    }

    /// `pixel + pattern * weight` for a 16-pixel-wide block, 16 pixels per vector, with exactly the
    /// scalar path's arithmetic: the same Float product and sum, then clamping to 0...255 (which
    /// commutes with rounding here) and rounding half away from zero.
    @inline(__always)
    private static func addPattern16(luma: UnsafeMutablePointer<UInt8>, stride: Int, pattern: UnsafePointer<Float>,
                                     patternStride: Int, rows: Int, weight: Float) {
        // For 0 <= c <= 255, c + 2^23 is exact to the integer: its low mantissa bits are c rounded
        // half to even. Halves that went down to the even integer get 1 added back: half away.
        let magic: Float = 8_388_608
        for y in 0..<rows {
            let pixels = UnsafeMutableRawPointer(luma + y * stride)
            let weights = UnsafeRawPointer(pattern + y * patternStride).loadUnaligned(as: SIMD16<Float>.self)
            let value = SIMD16<Float>(pixels.loadUnaligned(as: SIMD16<UInt8>.self)) + weights * weight
            var clamped = value.replacing(with: 0, where: value .< 0)
            clamped.replace(with: 255, where: clamped .> 255)
            let shifted = clamped + magic
            var rounded = unsafeBitCast(shifted, to: SIMD16<UInt32>.self)
            rounded.replace(with: rounded &+ 1, where: clamped - (shifted - magic) .== 0.5)
            pixels.storeBytes(of: SIMD16<UInt8>(truncatingIfNeeded: rounded), as: SIMD16<UInt8>.self)
        }
    }
}
