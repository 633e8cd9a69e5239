import Foundation
import Testing
@testable import HallmarkFingerprint

/// Synthetic frames: a few smooth blobs and bars with a keyed layout, so every seed is a
/// different picture with real low-frequency structure.
struct SyntheticFrame {
    var width: Int
    var height: Int
    var pixels: [UInt8]

    init(seed: UInt64, width: Int = 320, height: Int = 180, phase: Double = 0) {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        func next() -> Double {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return Double(state % 10_000) / 10_000
        }
        let blobs = (0..<6).map { _ in (x: next(), y: next(), r: 0.1 + 0.3 * next(), a: 120 * (next() - 0.5)) }
        self.width = width
        self.height = height
        pixels = [UInt8](repeating: 0, count: width * height)
        for y in 0..<height {
            for x in 0..<width {
                let u = Double(x) / Double(width), v = Double(y) / Double(height)
                var value = 128.0
                for blob in blobs {
                    let dx = u - blob.x - 0.05 * sin(phase), dy = v - blob.y
                    value += blob.a * exp(-(dx * dx + dy * dy) / (blob.r * blob.r))
                }
                pixels[y * width + x] = UInt8(max(0, min(255, value)))
            }
        }
    }

    func map(_ transform: (UInt8) -> UInt8) -> SyntheticFrame {
        var copy = self
        copy.pixels = pixels.map(transform)
        return copy
    }

    var mirrored: SyntheticFrame {
        var copy = self
        for y in 0..<height { for x in 0..<width { copy.pixels[y * width + x] = pixels[y * width + width - 1 - x] } }
        return copy
    }

    /// The frame inside black bars (a pad to `width` x `height`).
    func padded(width: Int, height: Int) -> SyntheticFrame {
        var copy = SyntheticFrame(width: width, height: height, pixels: [UInt8](repeating: 16, count: width * height))
        let x0 = (width - self.width) / 2, y0 = (height - self.height) / 2
        for y in 0..<self.height { for x in 0..<self.width { copy.pixels[(y + y0) * width + x + x0] = pixels[y * self.width + x] } }
        return copy
    }

    /// Nearest-neighbour rescale.
    func scaled(width: Int, height: Int) -> SyntheticFrame {
        var copy = SyntheticFrame(width: width, height: height, pixels: [UInt8](repeating: 0, count: width * height))
        for y in 0..<height { for x in 0..<width { copy.pixels[y * width + x] = pixels[(y * self.height / height) * self.width + x * self.width / width] } }
        return copy
    }

    /// The central `fraction` of each side.
    func cropped(_ fraction: Double) -> SyntheticFrame {
        let w = Int(Double(width) * fraction), h = Int(Double(height) * fraction)
        let x0 = (width - w) / 2, y0 = (height - h) / 2
        var copy = SyntheticFrame(width: w, height: h, pixels: [UInt8](repeating: 0, count: w * h))
        for y in 0..<h { for x in 0..<w { copy.pixels[y * w + x] = pixels[(y + y0) * width + x + x0] } }
        return copy
    }

    init(width: Int, height: Int, pixels: [UInt8]) {
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    func hash(_ hasher: PerceptualHasher = PerceptualHasher()) -> PerceptualHash {
        pixels.withUnsafeBufferPointer { hasher.hash(luma: $0.baseAddress!, stride: width, width: width, height: height) }
    }
}

@Suite struct PerceptualHashTests {
    let frame = SyntheticFrame(seed: 7)

    @Test func mirrorIsTheFlipMaskExactly() {
        #expect(frame.mirrored.hash().bits == frame.hash().flipped.bits)
    }

    @Test func brightnessContrastAndGammaKeepTheHash() {
        let original = frame.hash()
        let brighter = frame.map { UInt8(min(255, Double($0) * 0.8 + 40)) }.hash()
        let gamma = frame.map { UInt8(255 * pow(Double($0) / 255, 0.7)) }.hash()
        #expect(original.distance(to: brighter) <= 6)
        #expect(original.distance(to: gamma) <= 8)
    }

    @Test func padAndRescaleKeepTheHash() {
        let original = frame.hash()
        #expect(original.distance(to: frame.padded(width: 320, height: 320).hash()) <= 6)
        #expect(original.distance(to: frame.padded(width: 420, height: 180).hash()) <= 6)
        #expect(original.distance(to: frame.scaled(width: 160, height: 90).hash()) <= 4)
    }

    @Test func cropMovesTheHashLessThanAnotherPicture() {
        let original = frame.hash()
        let cropped = frame.cropped(0.8).hash()
        let others = (100..<120).map { SyntheticFrame(seed: $0).hash().distance(to: original) }
        #expect(original.distance(to: cropped) < others.min()!)
    }

    @Test func flatFramesAreNotInformative() {
        let flat = SyntheticFrame(width: 64, height: 64, pixels: [UInt8](repeating: 20, count: 64 * 64))
        #expect(!flat.hash().informative)
        #expect(frame.hash().informative)
    }

    @Test func encodingRoundTrips() {
        let print = Fingerprint(hashes: (0..<10).map { PerceptualHash(bits: UInt64($0) &* 0x1234_5678_9ABC_DEF1, informative: $0 % 3 != 0) })
        #expect(Fingerprint(encoded: print.encoded()) == print)
        #expect(Fingerprint(encoded: [9, 1, 2]) == nil)
    }
}
