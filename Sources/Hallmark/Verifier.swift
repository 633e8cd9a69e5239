import Foundation
import HallmarkC2PA
import HallmarkMedia
import HallmarkRegistry
import HallmarkSignal

/// Options for `Verifier`.
public struct VerifyOptions: Sendable {
    /// Declare the watermark detected at or below this false-positive probability.
    public var threshold: Double = 1e-9
    /// Frames analysed per second of video at most (the rest are decoded but not analysed).
    public var analysisRate: Double = 30
    /// Length of the time windows attributed separately (a clip spliced from several copies).
    public var windowSeconds: Double = 1
    /// Memory the closed windows' whole pictures may take (2 MB a window at 1080p); beyond it the
    /// tilings worth reading are chosen from the frames so far and windows keep only their folded
    /// tiles (see `ClipDecoding`).
    public var pictureWindowBudget: Int = 64 << 20
    /// Memory every window's sums may take; beyond it neighbouring windows are merged.
    public var windowMemoryBudget: Int = 256 << 20
    public var command: String = ""
    /// PEM bundle of trusted C2PA roots; nil trusts none (manifests can then be `Valid`, not `Trusted`).
    public var trustAnchorsPEM: String?
    /// How the trust anchors were chosen, in words (shown in reports).
    public var trustAnchorsDescription: String?
    /// Trust the home's development root (for testing: its private key is beside it).
    public var trustDevelopmentRoot = false
    /// Which issued marks informed detection scores the clip against.
    public var candidateMode: CandidateMode = .auto
    /// Decode only the reference frames first (about half the decoding work of an H.264 stream
    /// with B-frames) and every frame only when that evidence does not suffice; every reported
    /// probability then counts both looks. Off: every frame, one look.
    public var referenceFramesFirst = true

    public init(threshold: Double = 1e-9, analysisRate: Double = 30) {
        self.threshold = threshold
        self.analysisRate = analysisRate
    }
}

/// Verifies a suspect video: invisible watermark, visible mark, Content Credentials, and who the
/// clip was issued to.
///
/// `analyse` runs in stages: decode and accumulate; detect (the whole clip, then every time
/// window in parallel); attribute through the registry; check the visible mark; assemble the
/// report. The manifest is validated in a child task while the frames decode and the visible
/// mark is matched while the watermark is detected; both are structured (`async let`), so when a
/// stage throws, they are cancelled and awaited before the error leaves `analyse`.
///
/// Without a watermark key (a third party, or a service started without one) the verifier still
/// validates Content Credentials and looks for the visible mark; the report then says
/// `watermark.checked: false` and why, and nothing is attributed.
public struct Verifier: Sendable {
    /// Nil: the invisible watermark is not checked (see `VerificationReport.Watermark.checked`).
    public let key: WatermarkKey?
    public let registry: (any MarkRegistry)?
    public let options: VerifyOptions

    /// The sentence reports carry when there is no key.
    public static let noKeyReason = "not checked: this verifier holds no watermark key (only the key holder can read the invisible watermark); Content Credentials and the visible mark were checked"

    public init(key: WatermarkKey?, registry: (any MarkRegistry)?, options: VerifyOptions = VerifyOptions()) {
        self.key = key
        self.registry = registry
        self.options = options
    }

    /// Opens the key and, if it exists, the registry of `home`. A missing registry only means
    /// nothing can be attributed. A missing key file means the watermark is not checked, unless
    /// `requireKey` (as `trace`, which is nothing without it) makes it an error; a key file that
    /// exists but is unreadable or invalid is always an error (a broken setup, not a choice).
    public init(home: HallmarkHome, registryLocation: RegistryLocation? = nil, options: VerifyOptions = VerifyOptions(),
                requireKey: Bool = false) throws {
        let key: WatermarkKey?
        if requireKey || FileManager.default.fileExists(atPath: home.watermarkKeyURL.path) {
            key = try WatermarkKeyStore.load(from: home.watermarkKeyURL)
        } else {
            key = nil
        }
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
        if options.trustAnchorsPEM == nil {
            let anchors = try ContentCredentials.trustAnchors(path: nil, home: home, trustDevelopmentRoot: options.trustDevelopmentRoot)
            options.trustAnchorsPEM = anchors.pem
            options.trustAnchorsDescription = anchors.description
        }
        self.init(key: key, registry: registry, options: options)
    }

    public func verify(_ url: URL, progress: ((Double) -> Void)? = nil, cancellation: Cancellation? = nil) async throws -> VerificationReport {
        try await analyse(url, progress: progress, cancellation: cancellation).report
    }

    /// The report and the detector's raw result (decoded bits, lattice), for evaluation.
    public func verifyWithDetails(_ url: URL, progress: ((Double) -> Void)? = nil, cancellation: Cancellation? = nil) async throws -> (report: VerificationReport, detection: DetectionResult) {
        let details = try await analyse(url, progress: progress, cancellation: cancellation)
        return (details.report, details.detection)
    }

    /// Everything an investigator's report shows, thumbnails included.
    public func analyse(_ url: URL, progress: ((Double) -> Void)? = nil, cancellation: Cancellation? = nil) async throws -> VerificationDetails {
        let timer = StageTimer()
        // Before anything opens it: a FIFO would block the manifest reader forever.
        do { _ = try InputFile.status(of: url.path) } catch let error as MediaError { throw error.asHallmarkError }
        let validator = ManifestValidator(trustAnchorsPEM: options.trustAnchorsPEM)
        async let embeddedManifest = validator.validate(file: url)

        // Without the key there is no verdict the reference frames could settle: every frame.
        let referenceFramesFirst = options.referenceFramesFirst && key != nil
        let looks = referenceFramesFirst ? 2 : 1
        let detector = key.map { WatermarkDetector(key: $0, threshold: options.threshold, looks: looks) }
        var pass = try await decodeAndDetect(url, referenceFramesOnly: referenceFramesFirst, detector: detector,
                                             progress: progress, cancellation: cancellation, timer: timer)
        if pass.skippedFrames > 0 && !evidenceSuffices(pass) {
            pass = try await decodeAndDetect(url, referenceFramesOnly: false, detector: detector,
                                             progress: progress, cancellation: cancellation, timer: timer)
        }
        let (clip, whole, windowDetections) = (pass.clip, pass.whole, pass.windows)
        let defaultMark = Self.defaultVisibleMark

        let registry = self.registry
        async let source = SourceSearch().findings(clip.fingerprint, registry: registry)

        let trace: VerificationReport.Trace
        var record: MarkRecord? = nil
        if key != nil {
            // The manifest's soft binding names the source even when the watermark is too weak to read.
            let embedded = await embeddedManifest
            timer.lap("manifest wait")
            // The reverse search's match names the source when neither the mark nor the manifest does.
            let matchedSources = await source.section.matches.map(\.sourceId)
            var attribution = try Attribution(registry: registry, windowCount: clip.windows.count, threshold: options.threshold,
                                              mode: options.candidateMode, looks: looks)
            if let detector {
                attribution.tileSearch = { markIds in detector.tileSearch(clip.whole, markIds: markIds, tilings: whole.tilings) }
            }
            (trace, record) = try attribution.trace(whole: whole, windows: Array(zip(clip.windows, windowDetections)),
                                                    softBindingMarkId: Self.softBindingMarkId(embedded), matchedSources: matchedSources)
        } else {
            trace = Self.unattributed(note: "without the watermark key no account can be named")
            try Task.checkCancellation()
        }
        let embedded = await embeddedManifest

        // Visible mark: the one recorded for this clip, else the default label.
        var mark = defaultMark
        if let description = record?.visibleMark, let recorded = try? JSONDecoder().decode(VisibleMark.self, from: Data(description.utf8)) {
            mark = recorded
        }
        let visible = mark == defaultMark ? pass.visibleWithDefault : Self.visibleWatermark(mark: mark, samples: clip.samples)
        progress?(1)
        timer.lap("attribution+visible")
        let manifest = manifestSection(embedded: embedded, record: record, markId: whole.markId, url: url, validator: validator)
        let (sourceSection, sourceFrames) = await source
        timer.report()
        var video = clip.info
        video.complete = clip.completeness.isComplete
        video.incompleteness = clip.completeness.detail
        let watermark = key == nil ? uncheckedWatermarkSection()
            : watermarkSection(whole, frames: clip.whole, referenceFramesOnly: pass.skippedFrames > 0, looks: looks)
        let report = VerificationReport(
            file: url.path, video: video, manifest: manifest, watermark: watermark, visibleWatermark: visible,
            trace: trace, source: sourceSection, analysisSeconds: timer.elapsed,
            tool: .init(name: "hallmark", version: HallmarkVersion.string, command: options.command, ffmpeg: HallmarkMedia.ffmpegVersion))
        return VerificationDetails(report: report, detection: whole, thumbnails: Self.thumbnails(clip.samples), sourceFrames: sourceFrames)
    }

    /// One look at the clip: its frames decoded and accumulated, the whole and every window detected.
    struct Pass: Sendable {
        var clip: DecodedClip
        var whole: DetectionResult
        var windows: [DetectionResult]
        /// Video packets read but not decoded (non-reference frames skipped).
        var skippedFrames: Int
        /// The visible mark looked for as the default label, while the watermark was detected
        /// (most clips carry the default; one recorded otherwise is looked for again later).
        var visibleWithDefault: VerificationReport.VisibleWatermark
    }

    static let defaultVisibleMark = VisibleMark(content: .text(VisibleMark.defaultText))

    func decodeAndDetect(_ url: URL, referenceFramesOnly: Bool, detector: WatermarkDetector?, progress: ((Double) -> Void)?,
                         cancellation: Cancellation?, timer: StageTimer) async throws -> Pass {
        var decoding = ClipDecoding(options: options)
        decoding.analyseEveryFrame = referenceFramesOnly
        if let detector {
            decoding.pinTilings = { frames in Array(detector.detect(frames).tilings.prefix(Self.pinnedTilingCount)) }
        }
        var (clip, reader) = try decode(url, with: decoding, referenceFramesOnly: referenceFramesOnly, progress: progress, cancellation: cancellation)
        timer.lap(referenceFramesOnly ? "decode reference frames" : "decode+accumulate")
        // On another core while this one detects the watermark.
        let samples = clip.samples
        async let visibleWithDefault = Self.visibleWatermark(mark: Self.defaultVisibleMark, samples: samples)
        guard let detector else {
            return Pass(clip: clip, whole: .nothing(frames: 0), windows: [], skippedFrames: 0, visibleWithDefault: await visibleWithDefault)
        }
        let whole = detector.detect(clip.whole, alsoTry: clip.pinnedTilings ?? [])
        timer.lap("detect whole")
        var windows = await Self.detectWindows(clip.windows, detector: detector, guide: whole.choice)
        if windows == nil, let guide = whole.choice {
            // The whole clip chose a tiling its beginning did not rank: decode again, folding the
            // windows at that one (the same frames; a long clip with a weak or unusual geometry).
            decoding.pinned = [guide.lattice]
            (clip, reader) = try decode(url, with: decoding, referenceFramesOnly: referenceFramesOnly, progress: progress, cancellation: cancellation)
            windows = await Self.detectWindows(clip.windows, detector: detector, guide: guide)
            timer.lap("decode again for the windows")
        }
        timer.lap("detect windows")
        try Task.checkCancellation()
        return Pass(clip: clip, whole: whole, windows: windows ?? [], skippedFrames: max(0, reader.videoPackets - reader.framesDecoded),
                    visibleWithDefault: await visibleWithDefault)
    }

    /// How many of the best tilings a long clip's windows are folded at (64 KiB a window each).
    static let pinnedTilingCount = 3

    func decode(_ url: URL, with decoding: ClipDecoding, referenceFramesOnly: Bool, progress: ((Double) -> Void)?,
                cancellation: Cancellation?) throws -> (DecodedClip, FrameReader) {
        let reader: FrameReader
        do { reader = try FrameReader(url: url, fastDecode: referenceFramesOnly) } catch let error as MediaError { throw error.asHallmarkError }
        return (try decoding.run(reader, url: url, progress: progress, cancellation: cancellation), reader)
    }

    /// Whether the reference frames alone settle the verdict: the mark is read with a
    /// false-positive probability a million times below the threshold, and no time window reads
    /// another id (a splice of several copies gets every frame, window by window). Anything
    /// weaker, and a clip without a mark, is analysed again with every frame.
    func evidenceSuffices(_ pass: Pass) -> Bool {
        guard pass.whole.detected, let id = pass.whole.markId, pass.whole.log10PValue <= log10(options.threshold) - 6 else {
            return false
        }
        return pass.windows.allSatisfy { $0.markId == nil || $0.markId == id }
    }

    /// The mark id of the manifest's Hallmark soft binding (8 bytes, big-endian), if any.
    static func softBindingMarkId(_ manifest: ManifestReport) -> UInt64? {
        manifest.softBindings.first { $0.alg == "io.hallmark.spectral.v1" }.flatMap { MarkID.parse($0.valueHex.lowercased()) }
    }

    /// Each window on its own with the tiling found over the whole clip, on every core; nil when
    /// a folded window was not folded at a tiling like the guide's.
    static func detectWindows(_ windows: [DecodedClip.Window], detector: WatermarkDetector, guide: SearchChoice?) async -> [DetectionResult]? {
        await withTaskGroup(of: (Int, DetectionResult?).self) { group in
            for (index, window) in windows.enumerated() {
                group.addTask {
                    switch window.frames {
                    case .pictures(let frames): (index, detector.detect(frames, guide: guide))
                    case .folded(let folded): (index, detector.detect(folded, guide: guide))
                    }
                }
            }
            var results = [DetectionResult?](repeating: nil, count: windows.count)
            for await (index, result) in group { results[index] = result }
            return results.contains { $0 == nil } ? nil : results.map { $0! }
        }
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
                     softBindingMatchesWatermark: matches, source: found.source, error: found.error,
                     trustAnchors: options.trustAnchorsDescription ?? (options.trustAnchorsPEM == nil ? "none configured" : "given by the caller"))
    }

    /// The trace of a clip nothing was attributed for, with `note` saying why.
    static func unattributed(note: String) -> VerificationReport.Trace {
        VerificationReport.Trace(account: nil, clipLabel: nil, issuedAt: nil, markId: nil, falseAttributionProbability: nil,
                                 registryMarks: nil, note: note, accounts: [], windows: [], candidate: nil)
    }

    /// The watermark section without a key: nothing was looked for, so nothing is claimed.
    func uncheckedWatermarkSection() -> VerificationReport.Watermark {
        .init(checked: false, detected: false, markId: nil, pValue: 1, log10PValue: 0, threshold: options.threshold, framesAnalyzed: 0,
              syncScore: 0, hypothesesSearched: 0, payloadCRCValid: false, payloadScore: nil, relativeScale: nil, rotationDegrees: nil,
              note: Self.noKeyReason)
    }

    func watermarkSection(_ result: DetectionResult, frames accumulator: AccumulatedFrames, referenceFramesOnly: Bool, looks: Int) -> VerificationReport.Watermark {
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
        return .init(checked: true, detected: result.detected, markId: result.markId.map(MarkID.hex), pValue: result.pValue,
                     log10PValue: result.log10PValue, threshold: options.threshold, framesAnalyzed: result.framesAnalyzed,
                     syncScore: result.syncZ, hypothesesSearched: result.hypotheses, payloadCRCValid: result.crcValid,
                     payloadScore: result.payloadZ,
                     relativeScale: result.relativeScale, rotationDegrees: result.rotationDegrees, note: note,
                     referenceFramesOnly: referenceFramesOnly, looks: looks)
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

    /// A suspect's frame beside the matched source's frame at the aligned time.
    public struct FramePair: Sendable {
        public var suspectTime: Double
        public var sourceTime: Double
        public var suspect: Thumbnail
        public var source: Thumbnail
    }

    public var report: VerificationReport
    public var detection: DetectionResult
    public var thumbnails: [Thumbnail]
    /// The best source match's frames beside the suspect's (empty when nothing matched).
    public var sourceFrames: [FramePair] = []
}

public enum HallmarkVersion {
    public static let string = "0.1.0"
}
