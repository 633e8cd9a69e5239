import Foundation
import HallmarkC2PA
import HallmarkMedia
import HallmarkRegistry
import HallmarkSignal
import Synchronization

/// Options for `Verifier`.
public struct VerifyOptions: Sendable {
    /// Declare the watermark detected at or below this false-positive probability.
    public var threshold: Double = 1e-9
    /// Frames analysed per second of video at most (the rest are decoded but not analysed).
    public var analysisRate: Double = 30
    /// Length of the time windows attributed separately (a clip spliced from several copies).
    public var windowSeconds: Double = 1
    /// Memory the per-window sums may take; beyond it neighbouring windows are merged.
    public var windowMemoryBudget: Int = 768 << 20
    public var command: String = ""
    /// PEM bundle of trusted C2PA roots; nil trusts none (manifests can then be `Valid`, not `Trusted`).
    public var trustAnchorsPEM: String?

    public init(threshold: Double = 1e-9, analysisRate: Double = 30) {
        self.threshold = threshold
        self.analysisRate = analysisRate
    }
}

/// Verifies a suspect video: invisible watermark, visible mark, and who the clip was issued to.
public final class Verifier: @unchecked Sendable {
    public let key: WatermarkKey
    public let registry: (any MarkRegistry)?
    public let options: VerifyOptions

    public init(key: WatermarkKey, registry: (any MarkRegistry)?, options: VerifyOptions = VerifyOptions()) {
        self.key = key
        self.registry = registry
        self.options = options
    }

    /// Opens the key and, if it exists, the registry of `home`. A missing key is an error (nothing
    /// can be detected without it); a missing registry only means nothing can be attributed.
    public convenience init(home: HallmarkHome, registryLocation: RegistryLocation? = nil, options: VerifyOptions = VerifyOptions()) throws {
        let key = try WatermarkKeyStore.load(from: home.watermarkKeyURL)
        let location = registryLocation ?? .sqlite(path: home.registryURL.path)
        var registry: (any MarkRegistry)? = nil
        do {
            registry = try openRegistry(location, create: false)
        } catch let error as RegistryError {
            if case .notFound = error, registryLocation == nil {
                registry = nil
            } else {
                throw HallmarkError(.configuration, "registry: \(error)")
            }
        }
        var options = options
        if options.trustAnchorsPEM == nil { options.trustAnchorsPEM = try ContentCredentials.trustAnchors(path: nil, home: home) }
        self.init(key: key, registry: registry, options: options)
    }

    public func verify(_ url: URL, progress: ((Double) -> Void)? = nil, cancellation: Cancellation? = nil) throws -> VerificationReport {
        try verifyWithDetails(url, progress: progress, cancellation: cancellation).report
    }

    /// The report and the detector's raw result (decoded bits, lattice), for evaluation.
    public func verifyWithDetails(_ url: URL, progress: ((Double) -> Void)? = nil, cancellation: Cancellation? = nil) throws -> (report: VerificationReport, detection: DetectionResult) {
        let details = try analyse(url, progress: progress, cancellation: cancellation)
        return (details.report, details.detection)
    }

    /// Everything an investigator's report shows, thumbnails included.
    public func analyse(_ url: URL, progress: ((Double) -> Void)? = nil, cancellation: Cancellation? = nil) throws -> VerificationDetails {
        let started = Date()
        let reader: FrameReader
        do { reader = try FrameReader(url: url) } catch let error as MediaError { throw error.asHallmarkError }
        let info = reader.info
        // The manifest is validated on another thread while the frames decode.
        let validator = ManifestValidator(trustAnchorsPEM: options.trustAnchorsPEM)
        let manifestGroup = DispatchGroup()
        nonisolated(unsafe) var embeddedManifest = ManifestReport(present: false)
        DispatchQueue.global().async(group: manifestGroup) { embeddedManifest = validator.validate(file: url) }
        let rate = info.frameRate > 0 ? info.frameRate : 25
        let step = max(1, Int((rate / options.analysisRate).rounded(.up)))

        var windows: [TimeWindow] = []
        var windowSeconds = options.windowSeconds
        var samples: [VisibleMarkDetector.Sample] = []
        var nextSampleTime = 0.0
        var index = 0
        var lastProgress = Date.distantPast
        do {
            while let frame = try reader.next() {
                if cancellation?.isCancelled == true { throw HallmarkError(.cancelled, "interrupted") }
                defer { index += 1 }
                if index % step == 0 {
                    let slot = max(0, Int((frame.time / windowSeconds).rounded(.down)))
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
                    if let window = windows.last, frame.width == window.accumulator.sourceWidth, frame.height == window.accumulator.sourceHeight {
                        frame.withLuma { window.accumulator.add(luma: $0, stride: $1) }
                        window.end = max(window.end, frame.time + 1 / rate)
                    }
                }
                if frame.time >= nextSampleTime && samples.count < 60 {
                    // About eight frames over the clip, at most one a second.
                    nextSampleTime = frame.time + max(1, info.duration / 8)
                    let luma = frame.withLuma { VisibleMarkDetector.half($0, stride: $1, width: frame.width, height: frame.height) }
                    samples.append(.init(time: frame.time, width: frame.width / 2, height: frame.height / 2, luma: luma))
                }
                if let progress, info.duration > 0, Date().timeIntervalSince(lastProgress) > 0.2 {
                    lastProgress = Date()
                    progress(min(1, frame.time / info.duration))
                }
            }
        } catch let error as MediaError {
            throw error.asHallmarkError
        }
        let decoded = Date()
        guard let first = windows.first?.accumulator else { throw HallmarkError(.invalidInput, "\(url.path): no video frames") }
        // The visible mark is looked for on another core while the watermark is detected, with the
        // default mark; only a clip whose registry record names another mark is checked again below.
        let defaultMark = VisibleMark(content: .text(VisibleMark.defaultText))
        let visibleGroup = DispatchGroup()
        nonisolated(unsafe) var visibleWithDefault: VerificationReport.VisibleWatermark?
        let visibleSamples = samples
        DispatchQueue.global().async(group: visibleGroup) { visibleWithDefault = Self.visibleWatermark(mark: defaultMark, samples: visibleSamples) }
        let accumulator = FrameAccumulator(sourceWidth: first.sourceWidth, sourceHeight: first.sourceHeight)
        for window in windows { accumulator.add(window.accumulator) }

        let detector = WatermarkDetector(key: key, threshold: options.threshold)
        let result = detector.detect(accumulator)
        let detectedWhole = Date()
        let watermark = watermarkSection(result, accumulator: accumulator)
        // Each window on its own, with the tiling found over the whole clip.
        // Windows are independent: decode them on every core.
        let guide = result.choice
        let detections = Mutex([DetectionResult](repeating: .nothing(frames: 0), count: windows.count))
        nonisolated(unsafe) let shared = windows
        DispatchQueue.concurrentPerform(iterations: shared.count) { index in
            let detection = detector.detect(shared[index].accumulator, guide: guide)
            detections.withLock { $0[index] = detection }
        }
        let windowDetections = detections.withLock { $0 }
        let windowResults: [(TimeWindow, DetectionResult)] = Array(zip(windows, windowDetections))
        let detectedWindows = Date()

        let attribution = Attribution(registry: registry, windowCount: windowResults.count)
        let (trace, record) = attribution.trace(whole: result, windows: windowResults)

        // Visible mark: the one recorded for this clip, else the default label.
        var mark = defaultMark
        if let description = record?.visibleMark, let recorded = try? JSONDecoder().decode(VisibleMark.self, from: Data(description.utf8)) {
            mark = recorded
        }
        visibleGroup.wait()
        let visible = mark == defaultMark ? visibleWithDefault! : Self.visibleWatermark(mark: mark, samples: samples)
        progress?(1)
        let checkedVisible = Date()
        manifestGroup.wait()
        if ProcessInfo.processInfo.environment["HALLMARK_TIMING"] != nil {
            let phases = [("decode+accumulate", decoded.timeIntervalSince(started)), ("detect whole", detectedWhole.timeIntervalSince(decoded)),
                          ("detect windows", detectedWindows.timeIntervalSince(detectedWhole)), ("attribution+visible", checkedVisible.timeIntervalSince(detectedWindows)),
                          ("manifest wait", Date().timeIntervalSince(checkedVisible))]
            FileHandle.standardError.write(Data((phases.map { String(format: "%@ %.3fs", $0.0, $0.1) }.joined(separator: ", ") + "\n").utf8))
        }
        let manifest = manifestSection(embedded: embeddedManifest, record: record, markId: result.markId, url: url, validator: validator)
        let report = VerificationReport(
            file: url.path, video: info, manifest: manifest, watermark: watermark, visibleWatermark: visible, trace: trace,
            analysisSeconds: Date().timeIntervalSince(started),
            tool: .init(name: "hallmark", version: HallmarkVersion.string, command: options.command, ffmpeg: HallmarkMedia.ffmpegVersion))
        return VerificationDetails(report: report, detection: result, thumbnails: Self.thumbnails(samples))
    }

    /// Whether `mark` shows in the sampled frames, and where.
    static func visibleWatermark(mark: VisibleMark, samples: [VisibleMarkDetector.Sample]) -> VerificationReport.VisibleWatermark {
        if let first = samples.first, let detector = VisibleMarkDetector(mark: mark, width: first.width * 2, height: first.height * 2) {
            return detector.detect(samples.filter { $0.width == first.width && $0.height == first.height })
        }
        return .init(detected: false, text: nil, positions: [], note: mark.content == .none ? "this clip was stamped without a visible mark" : "frames too small to check")
    }

    /// Up to four evenly spaced samples as grey PNGs, at most 320 pixels wide.
    static func thumbnails(_ samples: [VisibleMarkDetector.Sample]) -> [VerificationDetails.Thumbnail] {
        guard !samples.isEmpty else { return [] }
        let picks = Array(Set((0..<min(4, samples.count)).map { $0 * (samples.count - 1) / max(1, min(4, samples.count) - 1) })).sorted()
        return picks.compactMap { index in
            let sample = samples[index]
            let factor = max(1, (sample.width + 319) / 320)
            let w = sample.width / factor, h = sample.height / factor
            var small = [UInt8](repeating: 0, count: w * h)
            for y in 0..<h { for x in 0..<w { small[y * w + x] = sample.luma[(y * factor) * sample.width + x * factor] } }
            guard let png = try? ImageEncoder.png(gray: small, width: w, height: h) else { return nil }
            return .init(time: sample.time, png: png, width: w, height: h)
        }
    }

    /// The embedded manifest, or the registry's copy when the file's was stripped.
    func manifestSection(embedded: ManifestReport, record: MarkRecord?, markId: UInt64?, url: URL, validator: ManifestValidator) -> VerificationReport.Manifest {
        var found = embedded
        var recovered = false
        if !embedded.present, let stored = record?.manifest, !stored.isEmpty {
            found = validator.validate(manifestStore: [UInt8](stored), assetFile: url)
            recovered = true
        }
        var matches: Bool? = nil
        let ours = found.softBindings.filter { $0.alg == "io.hallmark.spectral.v1" }
        if let markId, !ours.isEmpty {
            matches = ours.contains { $0.valueHex.lowercased() == MarkID.hex(markId) }
        }
        return .init(present: found.present, validationState: found.validationState, statusCodes: found.statusCodes,
                     successCodes: found.successCodes, activeManifest: found.activeManifest, assertions: found.assertions,
                     signer: found.signer, signedAt: found.signedAt, recovered: recovered,
                     softBindingMatchesWatermark: matches, source: found.source, error: found.error)
    }

    func watermarkSection(_ result: DetectionResult, accumulator: FrameAccumulator) -> VerificationReport.Watermark {
        var note: String? = nil
        let pixels = Double(accumulator.width * accumulator.height) * Double(accumulator.decimation * accumulator.decimation)
        let evidence = pixels * Double(result.framesAnalyzed)
        if !result.detected {
            if result.framesAnalyzed < 12 || evidence < 640 * 360 * 24 {
                note = "clip too short or too small for a confident decision (\(result.framesAnalyzed) frames of \(accumulator.sourceWidth)x\(accumulator.sourceHeight) analysed)"
            } else if result.pValue < 1e-3 {
                note = "weak evidence of a watermark, below the detection threshold"
            }
        } else if result.markId == nil {
            note = "watermark present but its payload could not be read (CRC failed)"
        }
        return .init(detected: result.detected, markId: result.markId.map(MarkID.hex), pValue: result.pValue,
                     log10PValue: result.log10PValue, threshold: options.threshold, framesAnalyzed: result.framesAnalyzed,
                     syncScore: result.syncZ, hypothesesSearched: result.hypotheses, payloadCRCValid: result.crcValid,
                     payloadScore: result.payloadZ,
                     relativeScale: result.relativeScale, rotationDegrees: result.rotationDegrees, note: note)
    }
}

/// A report plus what only a rendered report needs.
public struct VerificationDetails: Sendable {
    public struct Thumbnail: Sendable {
        public var time: Double
        public var png: Data
        public var width: Int
        public var height: Int
    }

    public var report: VerificationReport
    public var detection: DetectionResult
    public var thumbnails: [Thumbnail]
}

public enum HallmarkVersion {
    public static let string = "0.1.0"
}
