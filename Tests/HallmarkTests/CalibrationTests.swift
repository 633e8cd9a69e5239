import Foundation
import Testing
@testable import Hallmark
import HallmarkMedia
import HallmarkSignal

/// The numbers informed detection prints must mean what they say: scored against codewords that
/// are not in the picture, a candidate's score is standard normal, so that `Q(z)` times the tests
/// made is an honest false-accusation probability.
@Suite(.serialized, .tags(.media))
struct CalibrationTests {
    /// Unmarked windows: the project's fixtures (real decodes, 12 frames a window) and synthetic
    /// noise and dark pictures at several sizes. Each window is searched on its own (its own
    /// tiling, orientation and shift), as a clip with nothing in it would be.
    static func unmarkedWindows() throws -> [DetectionResult] {
        let detector = WatermarkDetector(key: WatermarkKey.generate())
        var results: [DetectionResult] = []
        for name in ["bars-720p.mp4", "dark-540p.mp4", "motion-540p.mp4", "odd-718x404.mp4", "testsrc-720p.mp4"] {
            let reader = try FrameReader(url: TestSupport.fixture(name))
            var accumulator: FrameAccumulator? = nil
            while let frame = try reader.next() {
                let window = accumulator ?? FrameAccumulator(sourceWidth: frame.width, sourceHeight: frame.height)
                frame.withLuma { window.add(luma: $0, stride: $1) }
                accumulator = window
                if window.frameCount == 12 {
                    results.append(detector.detect(window))
                    accumulator = nil
                }
            }
        }
        // Synthetic: Gaussian noise (as after heavy grain), and dark noise near black.
        var random = KeyedRandom(key: [UInt8](repeating: 3, count: 32), domain: "calibration")
        let sizes = [(640, 272), (854, 480), (1280, 720), (480, 480), (1920, 1080)]
        var index = 0
        while results.count < 220 {
            let (width, height) = sizes[index % sizes.count]
            let dark = index % 3 == 2
            let window = FrameAccumulator(sourceWidth: width, sourceHeight: height)
            var plane = [UInt8](repeating: 0, count: width * height)
            for _ in 0..<4 {
                for i in plane.indices {
                    let value = (dark ? 12 : 128) + random.nextGaussian() * (dark ? 3 : 20)
                    plane[i] = UInt8(max(0, min(255, value.rounded())))
                }
                plane.withUnsafeBufferPointer { window.add(luma: $0.baseAddress!, stride: width) }
            }
            results.append(detector.detect(window))
            index += 1
        }
        return results
    }

    @Test func candidateScoresOnUnmarkedWindowsAreStandardNormal() throws {
        let windows = try Self.unmarkedWindows()
        #expect(windows.count >= 200)
        let tracer = CollusionTracer()
        var random = KeyedRandom(key: [UInt8](repeating: 9, count: 32), domain: "calibration-ids")
        var total = 0, above3 = 0, above4 = 0, above5 = 0
        var sum = 0.0, squares = 0.0
        for window in windows {
            // Each window against 4,000 random codewords: the registry a leaked clip might be
            // checked against, scored as `trace` scores it (the strongest others projected off).
            let ids = (0..<4_000).map { _ in random.next() }
            for soft in [window.codedSoft] + window.alternativeCodedSoft.prefix(1) {
                for scored in tracer.score(soft: soft, candidates: ids, multiplicity: Double(ids.count)) {
                    total += 1
                    sum += scored.z
                    squares += scored.z * scored.z
                    if scored.z > 3 { above3 += 1 }
                    if scored.z > 4 { above4 += 1 }
                    if scored.z > 5 { above5 += 1 }
                }
            }
        }
        let mean = sum / Double(total), variance = squares / Double(total) - mean * mean
        let expected3 = Double(total) * Statistics.normalUpperTail(3), expected4 = Double(total) * Statistics.normalUpperTail(4)
        print(String(format: "calibration: %d windows, %d scores, mean %.4f, variance %.4f; z>3: %d (Gaussian %.0f), z>4: %d (Gaussian %.1f), z>5: %d (Gaussian %.2f)",
                     windows.count, total, mean, variance, above3, expected3, above4, expected4, above5, Double(total) * Statistics.normalUpperTail(5)))
        #expect(abs(mean) < 0.01)
        #expect(abs(variance - 1) < 0.03)
        #expect(Double(above3) > expected3 / 2 && Double(above3) < expected3 * 2, "z > 3: \(above3), Gaussian \(expected3)")
        #expect(Double(above4) > expected4 / 2 && Double(above4) < expected4 * 2, "z > 4: \(above4), Gaussian \(expected4)")
    }
}
