/// Adds the spectral watermark to 8-bit luma planes.
///
/// The keyed tile of ±1 cells is interpolated bilinearly between cell centres (a smooth pattern
/// with no cell edges, so its energy sits in low-mid frequencies that survive compression and
/// scaling) and repeated over the frame.
///
/// Its strength follows a structural-similarity mask per 8x8 block: the variance added to a block
/// is `0.05·2σ² + 0.0085·C2` (σ² the block's variance, C2 SSIM's stabilising constant), at most
/// 7² — texture hides the pattern and compression keeps it there. Flat blocks (σ² < 1) get the
/// `0.0085·C2` floor only when the frame has too little texture to carry the mark: a faint
/// pattern on flat areas costs the encoder far more than it adds (x264 spends about 5 % more CPU
/// on it, see `scripts/encoder-cost.sh`), so frames with texture leave them untouched. Two
/// frame-wide caps then scale the whole frame down when needed: mean added energy at most a PSNR
/// of 43 dB, mean predicted SSIM loss at most 1.4 %.
///
/// One embedder per clip: it remembers how much flat blocks got in the previous frames, so give
/// it the clip's frames in order, from one thread.
public final class WatermarkEmbedder {
    public let width: Int
    public let height: Int
    /// Amplitude relative to the calibrated mask, 0...1 (clamped), applied after the frame-wide
    /// caps: 0.5 adds a quarter of the energy.
    public let strength: Float
    /// The bilinear ±1 pattern at full frame size.
    private let pattern: [Float]
    /// Mean square of `pattern`.
    private let patternEnergy: Float
    private static let block = 8
    /// Added variance per block as a fraction of the block's `2·σ²` ...
    static let ssimFraction: Float = 0.05
    /// ... plus this fraction of C2: lower, so that flat areas carry less than textured ones.
    static let flatFraction: Float = 0.0085
    /// Blocks of a lower variance are flat: marked only in frames without enough texture.
    static let flatVariance: Float = 1
    /// Share of the frame in textured blocks above which flat blocks stay unmarked; below it they
    /// get part of their floor, all of it in a frame without texture. (The detector needs the
    /// mark spread over the frame: a few edges, as in colour bars, are not enough.)
    static let textureGoal: Float = 0.4
    /// SSIM's C2 for 8-bit video, (0.03·255)².
    static let c2: Float = 58.5225
    /// Mean added energy allowed per frame: PSNR 43 dB.
    static let energyCap: Float = 255 * 255 / 19_952.6
    /// Mean SSIM loss allowed per frame, as the mask predicts it (variance added / (2·σ² + C2)
    /// per block). The prediction counts all of the pattern's energy as variance; within an 8x8
    /// block part of it is a shift of the mean, so measured losses are about half of it.
    static let ssimLossBudget: Float = 0.014
    /// Largest added RMS in any block, in luma levels.
    static let maximumRMS: Float = 7
    /// How much of their floor flat blocks get, 0...1, smoothed over frames so that flat areas
    /// never flicker as the amount of texture changes.
    private var flatWeight: Float?

    public init(key: WatermarkKey, markId: UInt64, width: Int, height: Int, strength: Float = 1) {
        self.width = width
        self.height = height
        self.strength = min(max(strength, 0), 1)
        let layout = WatermarkLayout(key: key)
        let tile = layout.tile(markId: markId)
        let cell = WatermarkLayout.cellSize(width: width, height: height)
        pattern = Self.render(tile: tile, cellSize: cell, width: width, height: height, scale: 1)
        patternEnergy = max(1e-6, pattern.reduce(0) { $0 + $1 * $1 } / Float(max(1, pattern.count)))
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

    /// The variance to add to a block of variance `variance` and mean level `meanLevel`, when flat
    /// blocks get `flatWeight` of their floor.
    @inline(__always)
    static func targetVariance(variance: Float, meanLevel: Float, flatWeight: Float = 1) -> Float {
        let floor = variance < flatVariance ? flatWeight * flatFraction * c2 : flatFraction * c2
        var target = min(maximumRMS * maximumRMS, ssimFraction * 2 * variance + floor)
        // Dark areas show a pattern more readily than SSIM predicts.
        if meanLevel < 40 { target *= 0.35 + 0.65 * meanLevel / 40 }
        return target
    }

    /// Adds the watermark to one luma plane in place.
    ///
    /// Two passes: the statistics of every 8x8 block (on the unmarked picture) give each block's
    /// weight, the weights are scaled down together if the frame would exceed either cap, then
    /// each pixel gets `pixel + pattern * weight`, rounded half away from zero and clamped to 0...255.
    public func embed(luma: UnsafeMutablePointer<UInt8>, stride: Int) {
        precondition(stride >= width)
        let block = Self.block, width = self.width, height = self.height
        guard width > 0, height > 0 else { return }
        let blocksX = (width + block - 1) / block, blocksY = (height + block - 1) / block
        // The loops below are kept simple (unsafe pointers over whole rows, no branches or trapping
        // conversions inside) so that the optimiser vectorises them.
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 2 * width) { columnStatistics in
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 3 * blocksX * blocksY + width) { blockStorage in
        pattern.withUnsafeBufferPointer { pattern in
            let sums = columnStatistics.baseAddress!, squares = sums + width
            let blockCount = blocksX * blocksY
            let blockWeights = blockStorage.baseAddress!, blockVariances = blockWeights + blockCount
            let blockMeans = blockVariances + blockCount, rowWeights = blockMeans + blockCount
            let pattern = pattern.baseAddress!
            // Pass 1: per block, the statistics of the unmarked picture, and the textured area.
            var texturedArea: Float = 0
            for blockRow in 0..<blocksY {
                let by = blockRow * block, rows = min(block, height - by)
                sums.update(repeating: 0, count: width)
                squares.update(repeating: 0, count: width)
                for y in by..<(by + rows) {
                    let row = luma + y * stride
                    for x in 0..<width {
                        let value = UInt32(row[x])
                        sums[x] &+= value
                        squares[x] &+= value &* value
                    }
                }
                for blockColumn in 0..<blocksX {
                    let bx = blockColumn * block, columns = min(block, width - bx)
                    var sum: UInt32 = 0, square: UInt32 = 0
                    for x in bx..<(bx + columns) { sum &+= sums[x]; square &+= squares[x] }
                    let area = Float(rows * columns)
                    let mean = Float(sum) / area
                    let variance = max(0, Float(square) / area - mean * mean)
                    let index = blockRow * blocksX + blockColumn
                    blockVariances[index] = variance
                    blockMeans[index] = mean
                    if variance >= Self.flatVariance { texturedArea += area }
                }
            }
            let flatWeight = updateFlatWeight(texturedShare: texturedArea / Float(width * height))
            // The variance to add per block, and what it costs against the two caps.
            var totalEnergy: Float = 0, totalLoss: Float = 0
            for blockRow in 0..<blocksY {
                let rows = Float(min(block, height - blockRow * block))
                for blockColumn in 0..<blocksX {
                    let index = blockRow * blocksX + blockColumn
                    let area = rows * Float(min(block, width - blockColumn * block))
                    let variance = blockVariances[index]
                    let target = Self.targetVariance(variance: variance, meanLevel: blockMeans[index], flatWeight: flatWeight)
                    blockWeights[index] = target
                    totalEnergy += target * area
                    totalLoss += target / (2 * variance + Self.c2) * area
                }
            }
            // The frame-wide cap, then weights as multipliers of the pattern.
            // `strength` scales what the caps allow, so a strength below 1 always weakens the mark.
            let meanEnergy = totalEnergy / Float(width * height), meanLoss = totalLoss / Float(width * height)
            let capScale = strength * strength * min(meanEnergy > Self.energyCap ? Self.energyCap / meanEnergy : 1,
                                                     meanLoss > Self.ssimLossBudget ? Self.ssimLossBudget / meanLoss : 1)
            for i in 0..<blockCount { blockWeights[i] = (blockWeights[i] * capScale / patternEnergy).squareRoot() }
            // Pass 2: add the weighted pattern.
            for blockRow in 0..<blocksY {
                let by = blockRow * block, rows = min(block, height - by)
                for x in 0..<width { rowWeights[x] = blockWeights[blockRow * blocksX + x / block] }
                for y in by..<(by + rows) {
                    let pixels = luma + y * stride, amplitudes = pattern + y * width
                    for x in 0..<width {
                        pixels[x] = Self.roundedByte(Float(pixels[x]) + amplitudes[x] * rowWeights[x])
                    }
                }
            }
        }}}
    }

    /// The share of their floor that flat blocks get in this frame: none when textured blocks
    /// cover `textureGoal` of the frame or more, all of it when there is no texture; an
    /// exponential average over about ten frames, starting from the first frame's value.
    private func updateFlatWeight(texturedShare: Float) -> Float {
        let wanted = min(1, max(0, 1 - texturedShare / Self.textureGoal))
        let weight = flatWeight.map { 0.9 * $0 + 0.1 * wanted } ?? wanted
        flatWeight = weight
        return weight
    }

    /// `UInt8(max(0, min(255, value.rounded())))`, without a branch or trapping conversion (the
    /// two agree on every Float in -4...300, checked exhaustively).
    @inline(__always)
    private static func roundedByte(_ value: Float) -> UInt8 {
        // Clamping first gives the same result. For 0 <= c <= 255, c + 2^23 is a Float whose
        // spacing is exactly 1, so the sum is c rounded half to even and its bit pattern ends in
        // that integer; halves that went down to the even integer get 1 back, which makes it
        // half away from zero like `rounded()`.
        let magic: Float = 8_388_608
        let clamped = min(max(value, 0), 255)
        let shifted = clamped + magic
        let tie: UInt32 = clamped - (shifted - magic) == 0.5 ? 1 : 0
        return UInt8(truncatingIfNeeded: shifted.bitPattern &+ tie)
    }
}
