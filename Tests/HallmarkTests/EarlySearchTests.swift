import Foundation
import Testing
@testable import Hallmark
import HallmarkSignal

/// The whole-clip detection that confirms an early search's choice (`Verifier.detectWhole`).
struct EarlySearchTests {
    static let key = WatermarkKey(bytes: (0..<32).map { UInt8($0 * 7 + 3) })!
    static let width = 640, height = 360

    /// Textured, moving frames (a deterministic pseudo-random grain over smooth waves), marked or not.
    static func accumulate(frames: Range<Int>, markId: UInt64?, into accumulator: FrameAccumulator) {
        let embedder = markId.map { WatermarkEmbedder(key: key, markId: $0, width: width, height: height) }
        for frame in frames {
            var state = UInt64(frame + 1) &* 0x9E37_79B9_7F4A_7C15
            var plane = [UInt8](repeating: 0, count: width * height)
            for y in 0..<height {
                for x in 0..<width {
                    state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                    let grain = Double(Int(state >> 59)) - 15.5
                    let wave = 60 * sin(Double(x + 3 * frame) / 29) * cos(Double(y) / 41)
                    plane[y * width + x] = UInt8(max(0, min(255, 120 + wave + grain)))
                }
            }
            plane.withUnsafeMutableBufferPointer { buffer in
                embedder?.embed(luma: buffer.baseAddress!, stride: width)
                accumulator.add(luma: buffer.baseAddress!, stride: width)
            }
        }
    }

    static func accumulator(frames: Range<Int>, markId: UInt64?) -> FrameAccumulator {
        let accumulator = FrameAccumulator(sourceWidth: width, sourceHeight: height)
        accumulate(frames: frames, markId: markId, into: accumulator)
        return accumulator
    }

    @Test func confirmsTheEarlyChoiceAndDoublesThePValue() {
        let detector = WatermarkDetector(key: Self.key)
        let early = detector.detect(Self.accumulator(frames: 0..<5, markId: 0xfeed))
        let all = Self.accumulator(frames: 0..<6, markId: 0xfeed)
        let confirmed = Verifier.detectWhole(all, detector: detector, early: early)
        #expect(confirmed.detected && confirmed.markId == 0xfeed)
        // The confirmation counts every hypothesis the early search tried, then doubles.
        let guided = detector.detect(all, guide: early.choice, searchedHypotheses: early.hypotheses)
        #expect(guided.hypotheses == early.hypotheses)
        #expect(abs(confirmed.log10PValue - (guided.log10PValue + log10(2.0))) < 1e-9)
    }

    @Test func aWrongEarlyChoiceFallsBackToTheFullSearch() {
        let detector = WatermarkDetector(key: Self.key)
        // An early search over unmarked frames picks a meaningless peak.
        let early = detector.detect(Self.accumulator(frames: 0..<5, markId: nil))
        #expect(!early.detected)
        let marked = Self.accumulator(frames: 0..<6, markId: 0xbeef)
        let result = Verifier.detectWhole(marked, detector: detector, early: early)
        #expect(result.detected && result.markId == 0xbeef)
    }

    @Test func unmarkedFramesStayUndetected() {
        let detector = WatermarkDetector(key: Self.key)
        let early = detector.detect(Self.accumulator(frames: 0..<5, markId: nil))
        let result = Verifier.detectWhole(Self.accumulator(frames: 0..<6, markId: nil), detector: detector, early: early)
        #expect(!result.detected && result.markId == nil && result.pValue > 1e-6)
    }
}
