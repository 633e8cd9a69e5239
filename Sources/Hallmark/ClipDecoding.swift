import Foundation
import HallmarkFingerprint
import HallmarkMedia
import HallmarkSignal

/// What the first stage of verification gathers from a clip's frames: per time window, the
/// accumulated statistics the watermark detector reads, and a few downsized frames for the
/// visible mark and the report's thumbnails.
struct DecodedClip: Sendable {
    /// A window's frames: whole pictures, or (in a long clip, past the first windows) the tiles
    /// they fold into at the tilings pinned from the clip's beginning.
    enum WindowFrames: Sendable {
        case pictures(AccumulatedFrames)
        case folded(FoldedFrames)

        var frameCount: Int {
            switch self {
            case .pictures(let frames): frames.frameCount
            case .folded(let folded): folded.frameCount
            }
        }
    }

    struct Window: Sendable {
        var start: Double
        var end: Double
        var frames: WindowFrames
    }

    var info: VideoInfo
    var windows: [Window]
    /// Every analysed frame: the whole clip.
    var whole: AccumulatedFrames
    /// The tilings windows were folded at (nil: every window kept its pictures).
    var pinnedTilings: [Lattice]?
    var samples: [VisibleMarkDetector.Sample]
    var completeness: MediaCompleteness
    /// The content fingerprint, with the crop hypotheses of a suspect.
    var fingerprint: Fingerprint
}

/// Stage 1 of verification: decode every frame, accumulate the analysed ones per time window.
///
/// Memory: a window's whole picture sum (2 MB at 1080p) is kept only while the clip is short.
/// Once the closed windows' pictures pass `VerifyOptions.pictureWindowBudget`, `pinTilings`
/// chooses the tilings worth reading from the frames so far (the best few of a whole-clip search),
/// every closed window is folded at them, and every later window is folded when it closes: 64 KiB
/// a tiling. The windows double in length only when those summaries pass
/// `VerifyOptions.windowMemoryBudget`.
struct ClipDecoding {
    var options: VerifyOptions
    /// Accumulate every decoded frame, whatever `options.analysisRate` says (the reader already
    /// skips the non-reference ones).
    var analyseEveryFrame = false
    /// The tilings to fold windows at from the start (nil: choose them with `pinTilings` when needed).
    var pinned: [Lattice]?
    /// Chooses the tilings to fold at from the frames so far; nil: no window needs its tiles (a
    /// verifier without the key), so windows keep only their frame counts.
    var pinTilings: (@Sendable (AccumulatedFrames) -> [Lattice])?

    init(options: VerifyOptions) { self.options = options }
    /// Frame times are clamped to this many seconds, so that a hostile timestamp cannot make a
    /// window index overflow.
    static let latestTime = 1e7

    func run(_ reader: FrameReader, url: URL, progress: ((Double) -> Void)?, cancellation: Cancellation?) throws -> DecodedClip {
        let info = reader.info
        let rate = info.frameRate > 0 ? info.frameRate : 25
        let step = analyseEveryFrame ? 1 : max(1, Int((rate / options.analysisRate).rounded(.up)))

        var windows = WindowList(pinned: pinned ?? (pinTilings == nil ? [] : nil), pinTilings: pinTilings, options: options)
        var size: (width: Int, height: Int)? = nil
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
                if size == nil { size = (frame.width, frame.height) }
                // Frames of another size than the first (a stream that changes size) are not analysed.
                let sameSize = frame.width == size!.width && frame.height == size!.height
                if index % step == 0 && sameSize {
                    let window = windows.window(at: time, width: frame.width, height: frame.height)
                    frame.withLuma { window.accumulator!.add(luma: $0, stride: $1) }
                    window.end = max(window.end, time + 1 / rate)
                }
                if time >= nextSampleTime && samples.count < 60 && sameSize {
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
        guard let (summaries, whole) = windows.finish() else { throw HallmarkError(.invalidInput, "\(url.path): no video frames") }
        return DecodedClip(info: info, windows: summaries, whole: whole, pinnedTilings: windows.pinned,
                           samples: samples, completeness: reader.completeness, fingerprint: fingerprint.finish())
    }
}

/// The time windows of one decode, in order, and the sum of the frames already folded.
struct WindowList {
    private(set) var windows: [TimeWindow] = []
    private(set) var pinned: [Lattice]?
    let pinTilings: (@Sendable (AccumulatedFrames) -> [Lattice])?
    let options: VerifyOptions
    private var seconds: Double
    /// The frames of every window already folded (their pictures are gone).
    private var foldedWhole: FrameAccumulator?

    init(pinned: [Lattice]?, pinTilings: (@Sendable (AccumulatedFrames) -> [Lattice])?, options: VerifyOptions) {
        self.pinned = pinned
        self.pinTilings = pinTilings
        self.options = options
        seconds = options.windowSeconds
    }

    /// The open window for a frame at `time`, opening a new one (and closing the last) when the
    /// frame starts a later window.
    mutating func window(at time: Double, width: Int, height: Int) -> TimeWindow {
        let slot = Int((time / seconds).rounded(.down))
        // The last window is always open (a frame out of order joins it, as it always has).
        if let last = windows.last, slot <= last.slot { return last }
        if let last = windows.last { close(last) }
        if foldedWhole == nil { foldedWhole = FrameAccumulator(sourceWidth: width, sourceHeight: height) }
        let window = TimeWindow(slot: slot, start: Double(slot) * seconds, accumulator: FrameAccumulator(sourceWidth: width, sourceHeight: height))
        windows.append(window)
        if windows.reduce(0, { $0 + $1.byteCount }) > options.windowMemoryBudget {
            seconds *= 2
            windows = TimeWindow.merged(windows, seconds: seconds)
        }
        return windows[windows.count - 1]
    }

    /// A window that will get no more frames: folded when the tilings are known; when the
    /// windows' pictures pass their budget, the tilings are chosen and every closed window folded.
    private mutating func close(_ window: TimeWindow) {
        if let pinned {
            window.fold(tilings: pinned, into: foldedWhole!)
            return
        }
        let pictures = windows.reduce(0) { $0 + ($1.accumulator == nil ? 0 : $1.byteCount) }
        guard let pinTilings, pictures > options.pictureWindowBudget, let first = windows.first?.accumulator else { return }
        let sofar = FrameAccumulator(sourceWidth: first.sourceWidth, sourceHeight: first.sourceHeight)
        for window in windows { if let accumulator = window.accumulator { sofar.add(accumulator) } }
        let tilings = pinTilings(sofar.snapshot())
        pinned = tilings
        for window in windows { window.fold(tilings: tilings, into: foldedWhole!) }
    }

    /// The windows as values, and every frame summed; nil when no frame was analysed. Each
    /// window's pictures are released as its value is taken (a long clip's end does not hold both).
    mutating func finish() -> ([DecodedClip.Window], AccumulatedFrames)? {
        guard let last = windows.last, let foldedWhole else { return nil }
        if let pinned { last.fold(tilings: pinned, into: foldedWhole) }
        let whole = FrameAccumulator(sourceWidth: foldedWhole.sourceWidth, sourceHeight: foldedWhole.sourceHeight)
        whole.add(foldedWhole)
        for window in windows { if let accumulator = window.accumulator { whole.add(accumulator) } }
        var summaries: [DecodedClip.Window] = []
        summaries.reserveCapacity(windows.count)
        windows.reverse()
        while let window = windows.popLast() {
            let frames: DecodedClip.WindowFrames = window.folded.map { .folded($0) } ?? .pictures(window.accumulator!.snapshot())
            summaries.append(.init(start: window.start, end: window.end, frames: frames))
        }
        return (summaries, whole.snapshot())
    }
}
