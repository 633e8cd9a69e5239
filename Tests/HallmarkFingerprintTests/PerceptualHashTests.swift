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

    /// A caption bar like a reposter's: a near-white box over most of the width near the bottom,
    /// with a black line of "text" in it.
    var captioned: SyntheticFrame {
        var copy = self
        func fill(_ x0: Double, _ y0: Double, _ x1: Double, _ y1: Double, _ value: UInt8) {
            for y in Int(Double(height) * y0)..<Int(Double(height) * y1) {
                for x in Int(Double(width) * x0)..<Int(Double(width) * x1) { copy.pixels[y * width + x] = value }
            }
        }
        fill(0.05, 0.72, 0.75, 0.86, 235)
        fill(0.1, 0.76, 0.6, 0.81, 0)
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

    /// The hash above the caption band.
    func hashAboveCaptions(_ hasher: PerceptualHasher = PerceptualHasher()) -> PerceptualHash {
        let grid = pixels.withUnsafeBufferPointer { hasher.grid(luma: $0.baseAddress!, stride: width, width: width, height: height) }!
        return hasher.hash(grid, crop: 1, aboveCaptions: true)
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

    /// A caption bar flips many of the whole picture's signs and none of those above the band.
    @Test func captionBarIsLeftOutOfTheHashAboveTheBand() {
        let captioned = frame.captioned
        #expect(frame.hash().distance(to: captioned.hash()) >= 10)
        #expect(frame.hashAboveCaptions().distance(to: captioned.hashAboveCaptions()) <= 4)
        let others = (100..<120).map { SyntheticFrame(seed: $0).hashAboveCaptions().distance(to: frame.hashAboveCaptions()) }
        #expect(others.min()! >= 10)
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
        // Version 3: with the hashes above the caption band and a thumbnail.
        var full = print
        full.aboveCaptions = print.hashes.map { PerceptualHash(bits: ~$0.bits, informative: $0.informative) }
        full.thumbnails = [FrameThumbnail(width: 2, height: 2, pixels: [1, 2, 3, 4], sample: 8)]
        #expect(full.encoded().first == 3)
        #expect(Fingerprint(encoded: full.encoded()) == full)
        #expect(Fingerprint(encoded: Array(full.encoded().dropLast(100))) == nil)
    }
}
