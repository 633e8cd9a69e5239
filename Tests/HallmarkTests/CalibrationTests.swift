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
        try unmarked.get().map(\.detection)
    }

    /// Made once for both tests (about a minute of decoding and searching).
    static let unmarked = Result { try unmarkedFrames() }

    /// The unmarked windows' accumulated frames, each with its blind detection, and the detector
    /// (its key) that searched them.
    static func unmarkedFrames() throws -> [(frames: AccumulatedFrames, detection: DetectionResult, detector: WatermarkDetector)] {
        let detector = WatermarkDetector(key: WatermarkKey.generate())
        var results: [(frames: AccumulatedFrames, detection: DetectionResult, detector: WatermarkDetector)] = []
        func add(_ window: FrameAccumulator) {
            let frames = window.snapshot()
            results.append((frames, detector.detect(frames), detector))
        }
        for name in ["bars-720p.mp4", "dark-540p.mp4", "motion-540p.mp4", "odd-718x404.mp4", "testsrc-720p.mp4"] {
            let reader = try FrameReader(url: TestSupport.fixture(name))
            var accumulator: FrameAccumulator? = nil
            while let frame = try reader.next() {
                let window = accumulator ?? FrameAccumulator(sourceWidth: frame.width, sourceHeight: frame.height)
                frame.withLuma { window.add(luma: $0, stride: $1) }
                accumulator = window
                if window.frameCount == 12 {
                    add(window)
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
            add(window)
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

    /// The tile search chooses where to read each candidate's data cells by looking at them, so a
    /// score read there is not standard normal for the candidate it was chosen for: `Attribution`
    /// counts every geometry it could have chosen (`Q(z)` times the hypotheses, a union bound).
    /// Measured here on unmarked windows: the chosen candidate's score stays below the bound's
    /// level, the other candidates' scores at that place are standard normal, and nobody is
    /// accused at the false-accusation probabilities `trace` uses.
    @Test func tileSearchOnUnmarkedWindowsAccusesNobody() throws {
        let windows = try Self.unmarked.get().enumerated().filter { $0.offset % 5 == 0 }.map(\.element)
        #expect(windows.count >= 40)
        let tracer = CollusionTracer()
        var random = KeyedRandom(key: [UInt8](repeating: 11, count: 32), domain: "calibration-tiles")
        let candidates = WatermarkDetector.tileSearchLimit
        var chosen: [Double] = [], others: [Double] = []
        var aboveBound = 0, accused = 0
        for window in windows {
            let ids = (0..<candidates).map { _ in random.next() }
            let hypotheses = WatermarkDetector.tileSearchHypotheses(tilings: window.detection.tilings.count)
            // Where the bound says 1 in 10: the chosen score may exceed it at most that often.
            let boundLevel = (1...800).map { Double($0) / 100 }.first { hypotheses * Statistics.normalUpperTail($0) <= 0.1 }!
            let multiplicity = Double(candidates) * hypotheses * 2
            for match in window.detector.tileSearch(window.frames, markIds: ids, tilings: window.detection.tilings) {
                for scored in tracer.score(soft: match.codedSoft, candidates: ids, multiplicity: multiplicity) {
                    if scored.markId == match.markId {
                        chosen.append(scored.z)
                        if scored.z > boundLevel { aboveBound += 1 }
                    } else {
                        others.append(scored.z)
                    }
                    if scored.log10FalseAccusation <= -6 { accused += 1 }
                }
            }
        }
        func moments(_ values: [Double]) -> (mean: Double, variance: Double) {
            let mean = values.reduce(0, +) / Double(values.count)
            return (mean, values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count))
        }
        let (chosenMean, _) = moments(chosen), (othersMean, othersVariance) = moments(others)
        print(String(format: "tile search null: %d windows x %d candidates; chosen candidate's score mean %.2f, max %.2f, %d above the bound's 10%% level; others' scores mean %.3f, variance %.3f (%d); accused at 1e-6: %d",
                     windows.count, candidates, chosenMean, chosen.max() ?? 0, aboveBound, othersMean, othersVariance, others.count, accused))
        #expect(chosen.count == windows.count * candidates)
        #expect(Double(aboveBound) <= 0.1 * Double(chosen.count), "the chosen scores exceed the union bound's 10 % level \(aboveBound) times in \(chosen.count)")
        #expect(abs(othersMean) < 0.05 && abs(othersVariance - 1) < 0.1, "others: mean \(othersMean), variance \(othersVariance)")
        #expect(accused == 0)
    }
}
