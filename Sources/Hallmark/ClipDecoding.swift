import Foundation
import HallmarkFingerprint
import HallmarkMedia
import HallmarkSignal

/// What the first stage of verification gathers from a clip's frames: per time window, the
/// accumulated statistics the watermark detector reads, and a few downsized frames for the
/// visible mark and the report's thumbnails.
struct DecodedClip: Sendable {
    struct Window: Sendable {
        var start: Double
        var end: Double
        var frames: AccumulatedFrames
    }

    var info: VideoInfo
    var windows: [Window]
    var samples: [VisibleMarkDetector.Sample]
    var completeness: MediaCompleteness
    /// The content fingerprint, with the crop hypotheses of a suspect.
    var fingerprint: Fingerprint

    /// Every window summed: the whole clip.
    var whole: AccumulatedFrames {
        let first = windows[0].frames
        var mean = [Float](repeating: 0, count: first.mean.count)
        var frames = 0
        for window in windows {
            // Means weighted by frame counts sum back to the mean over all frames.
            let weight = Float(window.frames.frameCount)
            window.frames.mean.withUnsafeBufferPointer { source in
                for i in mean.indices { mean[i] += source[i] * weight }
            }
            frames += window.frames.frameCount
        }
        let scale = frames > 0 ? 1 / Float(frames) : 0
        for i in mean.indices { mean[i] *= scale }
        return AccumulatedFrames(width: first.width, height: first.height, decimation: first.decimation,
                                 sourceWidth: first.sourceWidth, sourceHeight: first.sourceHeight, frameCount: frames, mean: mean)
    }
}

/// Stage 1 of verification: decode every frame, accumulate the analysed ones per time window.
struct ClipDecoding {
    let options: VerifyOptions
    /// Accumulate every decoded frame, whatever `options.analysisRate` says (the reader already
    /// skips the non-reference ones).
    var analyseEveryFrame = false

    init(options: VerifyOptions) { self.options = options }
    /// Frame times are clamped to this many seconds, so that a hostile timestamp cannot make a
    /// window index overflow.
    static let latestTime = 1e7

    func run(_ reader: FrameReader, url: URL, progress: ((Double) -> Void)?, cancellation: Cancellation?) throws -> DecodedClip {
        let info = reader.info
        let rate = info.frameRate > 0 ? info.frameRate : 25
        let step = analyseEveryFrame ? 1 : max(1, Int((rate / options.analysisRate).rounded(.up)))

        var windows: [TimeWindow] = []
        var windowSeconds = options.windowSeconds
        var samples: [VisibleMarkDetector.Sample] = []
        var nextSampleTime = 0.0
        var index = 0
        var lastProgress = Date.distantPast
        let fingerprint = FingerprintBuilder(suspect: true)
        do {
            while let frame = try reader.next() {
                if Task.isCancelled || cancellation?.isCancelled == true { throw HallmarkError(.cancelled, "interrupted") }
                defer { index += 1 }
                fingerprint.add(frame)
                let time = frame.time.isFinite ? min(max(frame.time, 0), Self.latestTime) : 0
                if index % step == 0 {
                    let slot = Int((time / windowSeconds).rounded(.down))
                    if windows.isEmpty || slot > windows[windows.count - 1].slot {
                        let first = windows.first?.accumulator
                        if first == nil || (first!.sourceWidth == frame.width && first!.sourceHeight == frame.height) {
                            windows.append(TimeWindow(slot: slot, start: Double(slot) * windowSeconds,
                                                      accumulator: FrameAccumulator(sourceWidth: frame.width, sourceHeight: frame.height)))
                            if windows.count * windows[0].accumulator.width * windows[0].accumulator.height * 4 > options.windowMemoryBudget {
                                windowSeconds *= 2
                                windows = TimeWindow.merged(windows, seconds: windowSeconds)
                            }
                        }
                    }
                    // Frames of another size than the first (a stream that changes size) are skipped.
                    if let window = windows.last, frame.width == window.accumulator.sourceWidth, frame.height == window.accumulator.sourceHeight {
                        frame.withLuma { window.accumulator.add(luma: $0, stride: $1) }
                        window.end = max(window.end, time + 1 / rate)
                    }
                }
                if time >= nextSampleTime && samples.count < 60, let first = windows.first?.accumulator,
                   frame.width == first.sourceWidth, frame.height == first.sourceHeight {
                    // About eight frames over the clip, at most one a second.
                    nextSampleTime = time + max(1, info.duration / 8)
                    let luma = frame.withLuma { VisibleMarkDetector.half($0, stride: $1, width: frame.width, height: frame.height) }
                    samples.append(.init(time: time, width: frame.width / 2, height: frame.height / 2, luma: luma))
                }
                if let progress, info.duration > 0, Date().timeIntervalSince(lastProgress) > 0.2 {
                    lastProgress = Date()
                    progress(min(1, max(0, time / info.duration)))
                }
            }
        } catch let error as MediaError {
            throw error.asHallmarkError
        }
        guard !windows.isEmpty else { throw HallmarkError(.invalidInput, "\(url.path): no video frames") }
        // Each window's accumulator is released once its summary is taken, so that the end of a
        // long clip does not hold both (twice the window budget).
        var summaries: [DecodedClip.Window] = []
        summaries.reserveCapacity(windows.count)
        windows.reverse()
        while let window = windows.popLast() {
            summaries.append(.init(start: window.start, end: window.end, frames: window.accumulator.snapshot()))
        }
        return DecodedClip(info: info, windows: summaries,
                           samples: samples, completeness: reader.completeness, fingerprint: fingerprint.finish())
    }
}
