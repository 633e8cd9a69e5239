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
        // The loops below are kept simple (unsafe pointers, no branches or trapping conversions
        // inside the innermost loops) so that the optimiser vectorises them.
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
                    for y in by..<(by + rows) {
                        let pixels = luma + y * stride, amplitudes = pattern + y * width
                        for x in bx..<(bx + columns) {
                            pixels[x] = Self.roundedByte(Float(pixels[x]) + amplitudes[x] * weight)
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
        // In the last column the right neighbour is the pixel itself: leave it out of the loop.
        let inner = bx + columns < width ? columns : columns - 1
        var sum: UInt32 = 0, gradient: UInt32 = 0  // at most 256 * 255 and 256 * 510
        for y in by..<(by + rows) {
            let row = luma + y * stride
            let below = y + 1 < height ? row + stride : row
            for x in bx..<(bx + inner) {
                let value = Int32(row[x])
                sum &+= UInt32(value)
                gradient &+= (Int32(row[x + 1]) &- value).magnitude &+ (Int32(below[x]) &- value).magnitude
            }
            if inner < columns {
                let x = bx + inner, value = Int32(row[x])
                sum &+= UInt32(value)
                gradient &+= (Int32(below[x]) &- value).magnitude
            }
        }
        return (Int(sum), Int(gradient))
    }

    /// `UInt8(max(0, min(255, value.rounded())))`, without a branch or trapping conversion.
    @inline(__always)
    private static func roundedByte(_ value: Float) -> UInt8 {
        // Clamping first gives the same result. For 0 <= c <= 255, c + 2^23 is exact to the
        // integer, so its low mantissa bits are c rounded half to even; halves that went down
        // to the even integer get 1 back, making it half away from zero like `rounded()`.
        let magic: Float = 8_388_608
        let clamped = min(max(value, 0), 255)
        let shifted = clamped + magic
        let tie: UInt32 = clamped - (shifted - magic) == 0.5 ? 1 : 0
        return UInt8(truncatingIfNeeded: shifted.bitPattern &+ tie)
    }
}
