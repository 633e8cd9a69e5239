import Testing
@testable import HallmarkSignal
#if canImport(Glibc)
import Glibc
#endif

/// Embedding and detection on synthetic planes, without any codec: the mathematics alone.
struct WatermarkRoundTripTests {
    static let key = WatermarkKey(bytes: (0..<32).map { UInt8($0 * 5 + 1) })!
    static let otherKey = WatermarkKey(bytes: (0..<32).map { UInt8(255 - $0) })!

    /// A moving, textured, natural-ish picture: smooth gradients, blobs and grain.
    static func picture(width: Int, height: Int, frame: Int, seed: UInt64) -> [UInt8] {
        var random = KeyedRandom(key: (0..<32).map { UInt8(truncatingIfNeeded: seed &+ UInt64($0)) }, domain: "picture.\(frame)")
        var out = [UInt8](repeating: 0, count: width * height)
        let shift = Double(frame) * 3
        for y in 0..<height {
            for x in 0..<width {
                let fx = Double(x) + shift, fy = Double(y)
                var v = 110 + 50 * sin(fx / 37) * cos(fy / 53) + 30 * sin((fx + fy) / 11)
                v += 20 * random.nextGaussian()
                out[y * width + x] = UInt8(max(0, min(255, v)))
            }
        }
        return out
    }

    static func accumulate(width: Int, height: Int, frames: Int, markId: UInt64?, key: WatermarkKey, seed: UInt64 = 1) -> FrameAccumulator {
        let accumulator = FrameAccumulator(sourceWidth: width, sourceHeight: height)
        let embedder = markId.map { WatermarkEmbedder(key: key, markId: $0, width: width, height: height) }
        for frame in 0..<frames {
            var plane = picture(width: width, height: height, frame: frame, seed: seed)
            plane.withUnsafeMutableBufferPointer { buffer in
                embedder?.embed(luma: buffer.baseAddress!, stride: width)
                accumulator.add(luma: buffer.baseAddress!, stride: width)
            }
        }
        return accumulator
    }

    @Test func recoversTheExactMarkId() {
        let id: UInt64 = 0xfedc_ba98_7654_3210
        let result = WatermarkDetector(key: Self.key).detect(Self.accumulate(width: 480, height: 272, frames: 6, markId: id, key: Self.key))
        #expect(result.detected)
        #expect(result.markId == id)
        #expect(result.crcValid)
        #expect(result.pValue <= 1e-9)
    }

    @Test func unmarkedPicturesAreNotDetected() {
        for seed in 1...3 as ClosedRange<UInt64> {
            let result = WatermarkDetector(key: Self.key).detect(Self.accumulate(width: 480, height: 272, frames: 6, markId: nil, key: Self.key, seed: seed))
            #expect(!result.detected)
            #expect(result.markId == nil)
            #expect(result.pValue > 1e-6, "unmarked p-value \(result.pValue) is suspiciously small")
        }
    }

    @Test func aDifferentKeySeesNothing() {
        let accumulator = Self.accumulate(width: 480, height: 272, frames: 6, markId: 42, key: Self.key)
        let result = WatermarkDetector(key: Self.otherKey).detect(accumulator)
        #expect(!result.detected)
        #expect(result.markId == nil)
    }

    @Test func payloadCarriesIdAndCRC() {
        for id: UInt64 in [0, 1, 0x8000_0000_0000_0000, .max, 0x0123_4567_89ab_cdef] {
            let bits = Payload.bits(markId: id)
            #expect(bits.count == Payload.informationBits)
            let decoded = Payload.decode(bits)
            #expect(decoded.markId == id && decoded.crcValid)
            var flipped = bits
            flipped[5] ^= 1
            #expect(!Payload.decode(flipped).crcValid)
        }
    }

    @Test func layoutIsKeyedAndComplete() {
        let a = WatermarkLayout(key: Self.key), b = WatermarkLayout(key: Self.otherKey)
        #expect(a.syncChip.filter { $0 != 0 }.count == WatermarkLayout.syncCellCount)
        #expect(Set(a.codedBitIndex.filter { $0 >= 0 }).count == WatermarkLayout.codedBits)
        #expect(a.syncChip != b.syncChip)
    }

    @Test func embeddingIsFaint() {
        let width = 480, height = 272
        var plane = Self.picture(width: width, height: height, frame: 0, seed: 9)
        let original = plane
        plane.withUnsafeMutableBufferPointer { WatermarkEmbedder(key: Self.key, markId: 7, width: width, height: height).embed(luma: $0.baseAddress!, stride: width) }
        let squared = original.withUnsafeBufferPointer { a in plane.withUnsafeBufferPointer { b in
            ImageQuality.squaredError(a.baseAddress!, width, b.baseAddress!, width, width: width, height: height) } }
        let psnr = ImageQuality.psnr(meanSquaredError: squared / Double(width * height))
        let ssim = original.withUnsafeBufferPointer { a in plane.withUnsafeBufferPointer { b in
            ImageQuality.ssim(a.baseAddress!, width, b.baseAddress!, width, width: width, height: height) } }
        #expect(psnr >= 42.5, "PSNR \(psnr) dB")
        #expect(psnr < 60, "PSNR \(psnr) dB: is anything embedded at all?")
        #expect(ssim >= 0.99, "SSIM \(ssim)")
    }

    /// Mean squared change `strength` makes to a textured picture.
    static func addedEnergy(strength: Float) -> Double {
        let width = 480, height = 272
        var plane = picture(width: width, height: height, frame: 0, seed: 9)
        let original = plane
        plane.withUnsafeMutableBufferPointer {
            WatermarkEmbedder(key: key, markId: 7, width: width, height: height, strength: strength).embed(luma: $0.baseAddress!, stride: width)
        }
        let squared = original.withUnsafeBufferPointer { a in plane.withUnsafeBufferPointer { b in
            ImageQuality.squaredError(a.baseAddress!, width, b.baseAddress!, width, width: width, height: height) } }
        return squared / Double(width * height)
    }

    @Test func strengthScalesTheAddedEnergy() {
        let full = Self.addedEnergy(strength: 1), half = Self.addedEnergy(strength: 0.5)
        // A quarter of the energy before rounding to whole luma levels; rounding then removes
        // part of the faintest amplitudes, so a little less (0.17 here). Unscaled would be 1.
        #expect(half / full > 0.1 && half / full < 0.3, "energy ratio \(half / full)")
    }

    /// 0.7 (half the energy): on this grainy picture, where flat blocks stay unmarked, 0.5 over
    /// 8 frames is no longer enough.
    @Test func lowerStrengthIsStillReadWithoutACodec() {
        let width = 640, height = 360
        let accumulator = FrameAccumulator(sourceWidth: width, sourceHeight: height)
        let embedder = WatermarkEmbedder(key: Self.key, markId: 0x5eed, width: width, height: height, strength: 0.7)
        for frame in 0..<8 {
            var plane = Self.picture(width: width, height: height, frame: frame, seed: 3)
            plane.withUnsafeMutableBufferPointer { buffer in
                embedder.embed(luma: buffer.baseAddress!, stride: width)
                accumulator.add(luma: buffer.baseAddress!, stride: width)
            }
        }
        let result = WatermarkDetector(key: Self.key).detect(accumulator)
        #expect(result.markId == 0x5eed)
    }

    /// Pixels changed by one embedding in the flat and in the textured part of a frame whose left
    /// half is flat grey and whose right half is the textured picture (or flat too).
    static func changedPixels(texturedRight: Bool, frames: Int = 1) -> (flat: Int, textured: Int) {
        let width = 480, height = 272
        let embedder = WatermarkEmbedder(key: key, markId: 11, width: width, height: height)
        var changed = (flat: 0, textured: 0)
        for frame in 0..<frames {
            var plane = picture(width: width, height: height, frame: frame, seed: 5)
            for y in 0..<height { for x in 0..<width where x < width / 2 || !texturedRight { plane[y * width + x] = 128 } }
            let original = plane
            plane.withUnsafeMutableBufferPointer { embedder.embed(luma: $0.baseAddress!, stride: width) }
            guard frame == frames - 1 else { continue }
            for i in plane.indices where plane[i] != original[i] {
                if i % width < width / 2 { changed.flat += 1 } else { changed.textured += 1 }
            }
        }
        return changed
    }

    @Test func flatAreasStayUnmarkedWhenTheFrameHasTexture() {
        let mixed = Self.changedPixels(texturedRight: true)
        #expect(mixed.flat == 0, "\(mixed.flat) flat pixels changed")
        #expect(mixed.textured > 480 * 272 / 4, "only \(mixed.textured) textured pixels changed")
        // Without texture anywhere, the flat picture carries the faint mark instead.
        let flat = Self.changedPixels(texturedRight: false)
        #expect(flat.flat > 480 * 272 / 8, "only \(flat.flat) pixels of a flat frame changed")
    }
}
