import Foundation
import HallmarkMedia
import HallmarkRegistry
import HallmarkSignal

/// One row of the evaluation table.
public struct EvaluationRow: Sendable, Codable {
    public var attack: String
    public var detected: Bool
    public var markIdCorrect: Bool
    /// A detection with the wrong id: must never happen.
    public var wrongId: Bool
    public var bitAccuracy: Double
    public var pValue: Double
    public var log10PValue: Double
    /// PSNR of the attacked copy against the stamped clip, when the geometry allows it.
    public var psnr: Double?
    public var seconds: Double
    public var mayFail: Bool
    public var error: String?
    /// Attribution through the registry (`trace.accused`): how many accounts' copies went into
    /// this one, how many of them were named, and how many innocent accounts were (must be 0).
    public var contributors: Int = 1
    public var contributorsNamed: Int = 0
    public var innocentsNamed: Int = 0
    /// The blind decoder read the id of one of the contributors (collusion rows).
    public var decodedAContributor = false
    /// The weakest false-accusation probability among the contributors named.
    public var falseAccusationProbability: Double?
}

public struct EvaluationSummary: Sendable, Codable {
    public var input: String
    public var excerptSeconds: Double
    /// The invisible layer alone: every frame with the mark against the same frame without it,
    /// before any encoding (luma).
    public var layerPSNR: Double
    public var layerSSIM: Double
    /// The delivered file: the stamped clip against the same encode without the mark. Lower than
    /// the layer alone, because two encodes of different pictures also round differently.
    public var deliveredPSNR: Double
    public var deliveredSSIM: Double
    public var rows: [EvaluationRow]
    /// What the invisible mark costs in bits, per CRF.
    public var bitrate: [BitrateCost] = []
}

/// The video stream of the excerpt stamped with the invisible mark only against the same encode
/// (same pipeline, CRF and preset) without the mark.
public struct BitrateCost: Sendable, Codable, Equatable {
    public var crf: Int
    public var markedBytes: Int64
    public var plainBytes: Int64
    /// markedBytes / plainBytes (the excerpts have the same frames, so also the bitrate ratio).
    public var ratio: Double { plainBytes > 0 ? Double(markedBytes) / Double(plainBytes) : .nan }

    public init(crf: Int, markedBytes: Int64, plainBytes: Int64) {
        self.crf = crf
        self.markedBytes = markedBytes
        self.plainBytes = plainBytes
    }
}

/// `hallmark eval`: stamps an excerpt with a fresh key and a throw-away registry, attacks it with
/// every row of the matrix (libavfilter + libavcodec), verifies each copy and tabulates the result.
/// A fresh key per run keeps results honest: nothing was tuned on it.
public final class Evaluator {
    public var excerptStart: Double = 0
    public var excerptDuration: Double = 3
    public var strength: Float = 1
    public var attacks: [Attack] = Attack.matrix
    /// Also stamp copies for this many accounts in all and run the collusion rows (averages,
    /// interleave, splice); below 2, none.
    public var collusionCopies = 4
    /// Which collusion rows run, by name.
    public var includeCollusionRow: @Sendable (String) -> Bool = { _ in true }
    /// Scale (and centre-crop) the excerpt to this size first, as a generator's output of that
    /// size (e.g. 640x272), so that the whole matrix runs on a small source.
    public var sourceSize: (width: Int, height: Int)?
    /// CRFs at which the bitrate cost is measured (the stamp's own CRF 18 reuses its files).
    public var bitrateCRFs: [Int] = [18, 23]

    public init() {}

    public func run(input: URL, workDirectory: URL, rowDone: ((EvaluationRow) -> Void)? = nil) async throws -> EvaluationSummary {
        try FileManager.default.createDirectory(at: workDirectory, withIntermediateDirectories: true)
        // A fresh key per run; HALLMARK_EVAL_KEY (64 hex digits) pins one for development, so that
        // a change can be compared on the same key (report figures with fresh keys, not that one).
        let key = ProcessInfo.processInfo.environment["HALLMARK_EVAL_KEY"].flatMap(WatermarkKeyStore.decodeHex).flatMap(WatermarkKey.init(bytes:)) ?? WatermarkKey.generate()
        let registry = try SQLiteRegistry(path: workDirectory.appendingPathComponent("eval-registry.sqlite").path, create: true)

        // 1. The excerpt, losslessly-ish (x264 CRF 10) so that the stamp's own encode is the first lossy step.
        let excerpt = workDirectory.appendingPathComponent("excerpt.mp4")
        var trim = "trim=start=\(excerptStart):duration=\(excerptDuration),setpts=PTS-STARTPTS"
        if let (w, h) = sourceSize {
            trim += ",scale=\(w):\(h):force_original_aspect_ratio=increase,crop=\(w):\(h),setsar=1"
        }
        do {
            _ = try Transcoder(input: input).run(to: excerpt, filter: trim, encoder: .h264(crf: 10, preset: "veryfast"), copyAudio: false)
        } catch let error as MediaError { throw error.asHallmarkError }

        // 2. Stamped (invisible mark only) and the same encode without the mark, for quality.
        let stamper = Stamper(key: key, registry: registry)
        let stamped = workDirectory.appendingPathComponent("stamped.mp4")
        let result = try stamper.stamp(StampRequest(input: excerpt, output: stamped, account: "eval", label: "eval",
                                                    visibleMark: VisibleMark(content: .none), strength: strength, signing: .none))
        let plain = workDirectory.appendingPathComponent("plain.mp4")
        _ = try Transcoder(input: excerpt).run(to: plain, encoder: .h264(), copyAudio: false)
        let (deliveredPSNR, deliveredSSIM) = try Self.compare(stamped, plain) ?? (0, 0)
        let (layerPSNR, layerSSIM) = try Self.layerQuality(input: excerpt, key: key, markId: result.markId, strength: strength)
        var bitrate: [BitrateCost] = []
        for crf in bitrateCRFs {
            var marked = stamped, unmarked = plain
            if crf != 18 {
                marked = workDirectory.appendingPathComponent("bitrate-marked-\(crf).mp4")
                unmarked = workDirectory.appendingPathComponent("bitrate-plain-\(crf).mp4")
                // A registry of its own, so that these extra marks never show in the attribution rows.
                let scratch = try SQLiteRegistry(path: workDirectory.appendingPathComponent("bitrate-\(crf).sqlite").path, create: true)
                _ = try Stamper(key: key, registry: scratch).stamp(StampRequest(input: excerpt, output: marked, account: "bitrate", label: "eval",
                                                                               visibleMark: VisibleMark(content: .none), encoder: .h264(crf: crf),
                                                                               strength: strength, signing: .none))
                _ = try Transcoder(input: excerpt).run(to: unmarked, encoder: .h264(crf: crf), copyAudio: false)
            }
            bitrate.append(BitrateCost(crf: crf, markedBytes: try VideoStreamSize(of: marked).bytes, plainBytes: try VideoStreamSize(of: unmarked).bytes))
        }

        // 3. The other accounts' copies of the same source, for the collusion rows.
        var copies = [stamped.path], accounts = ["eval"]
        // The rows need at least two copies (averages index the second one).
        let wanted = collusionCopies >= 2 && Attack.collusion(copies: Array(repeating: "", count: collusionCopies), duration: excerptDuration)
            .contains { includeCollusionRow($0.attack.name) }
        for k in 1..<(wanted ? max(1, collusionCopies) : 1) {
            let copy = workDirectory.appendingPathComponent("copy-\(k + 1).mp4")
            _ = try stamper.stamp(StampRequest(input: excerpt, output: copy, account: "eval-\(k + 1)", label: "eval",
                                               visibleMark: VisibleMark(content: .none), strength: strength, signing: .none))
            copies.append(copy.path)
            accounts.append("eval-\(k + 1)")
        }
        let collusion = copies.count >= 2 ? Attack.collusion(copies: copies, duration: excerptDuration).filter { includeCollusionRow($0.attack.name) } : []

        // 4. Every attack.
        let verifier = Verifier(key: key, registry: registry)
        let truth = Payload.bits(markId: result.markId)
        var rows: [EvaluationRow] = []
        let plan = attacks.map { ($0, 1) } + collusion.map { ($0.attack, $0.contributors) }
        for (index, (attack, contributors)) in plan.enumerated() {
            let started = Date()
            let copy = workDirectory.appendingPathComponent("attack-\(index).\(attack.container)")
            var row = EvaluationRow(attack: attack.name, detected: false, markIdCorrect: false, wrongId: false, bitAccuracy: 0,
                                    pValue: 1, log10PValue: 0, psnr: nil, seconds: 0, mayFail: attack.mayFail, error: nil)
            row.contributors = contributors
            do {
                let source: URL
                if index == 0 && attack.filter == "null" {
                    source = stamped
                } else {
                    _ = try Transcoder(input: stamped).run(to: copy, filter: attack.filter, encoder: attack.encoder, copyAudio: false)
                    source = copy
                }
                let verifyStarted = Date()
                let (report, detection) = try await verifier.verifyWithDetails(source)
                row.seconds = Date().timeIntervalSince(verifyStarted)
                row.detected = report.watermark.detected
                row.markIdCorrect = report.watermark.markId == result.markIdHex
                // A copy of several accounts' copies decodes to one of them, or to none.
                let guilty = Set(accounts.prefix(contributors))
                row.decodedAContributor = report.watermark.markId != nil && contributors > 1
                    && report.trace.accused.contains { $0.markId == report.watermark.markId && guilty.contains($0.account) }
                row.wrongId = report.watermark.markId != nil && !row.markIdCorrect && !row.decodedAContributor
                let named = report.trace.accused.filter { guilty.contains($0.account) }
                row.contributorsNamed = named.count
                row.innocentsNamed = report.trace.accused.count - named.count
                row.falseAccusationProbability = named.map(\.falseAccusationProbability).max()
                row.pValue = report.watermark.pValue
                row.log10PValue = report.watermark.log10PValue
                let matches = zip(detection.payloadBits.prefix(Payload.idBits), truth.prefix(Payload.idBits)).filter { $0 == $1 }.count
                row.bitAccuracy = Double(matches) / Double(Payload.idBits)
                // Identical files compare as infinite PSNR, which JSON cannot carry: left out.
                row.psnr = ((try? Self.compare(source, stamped))??.0).flatMap { $0.isFinite ? $0 : nil }
                if source != stamped { try? FileManager.default.removeItem(at: copy) }
            } catch {
                row.error = "\(error)"
                row.seconds = Date().timeIntervalSince(started)
            }
            rows.append(row)
            rowDone?(row)
        }
        return EvaluationSummary(input: input.path, excerptSeconds: excerptDuration, layerPSNR: layerPSNR, layerSSIM: layerSSIM,
                                 deliveredPSNR: deliveredPSNR, deliveredSSIM: deliveredSSIM, rows: rows, bitrate: bitrate)
    }

    /// Luma PSNR and SSIM of the invisible layer alone: each decoded frame of `input` against a
    /// copy carrying the mark, as `stamp` would add it before encoding (SSIM on every 4th frame).
    public static func layerQuality(input: URL, key: WatermarkKey, markId: UInt64, strength: Float) throws -> (Double, Double) {
        let reader = try FrameReader(url: input)
        let width = reader.info.width, height = reader.info.height
        let embedder = WatermarkEmbedder(key: key, markId: markId, width: width, height: height, strength: strength)
        var tally = QualityTally()
        var marked = [UInt8](repeating: 0, count: width * height)
        while let frame = try reader.next() {
            // As in `Stamper`: frames of another size are not marked.
            guard frame.width == width, frame.height == height else { continue }
            frame.withLuma { luma, stride in
                marked.withUnsafeMutableBufferPointer { copy in
                    for y in 0..<height { (copy.baseAddress! + y * width).update(from: luma + y * stride, count: width) }
                    embedder.embed(luma: copy.baseAddress!, stride: width)
                    tally.add(luma, stride, copy.baseAddress!, width, width: width, height: height)
                }
            }
        }
        return tally.result ?? (0, 0)
    }

    /// Luma PSNR and SSIM of `a` against `b` over their common frames; nil when sizes differ.
    public static func compare(_ a: URL, _ b: URL) throws -> (Double, Double)? {
        let ra = try FrameReader(url: a), rb = try FrameReader(url: b)
        guard ra.info.width == rb.info.width, ra.info.height == rb.info.height else { return nil }
        var tally = QualityTally()
        while let fa = try ra.next(), let fb = try rb.next() {
            guard fa.width == fb.width, fa.height == fb.height else { return nil }
            fa.withLuma { pa, sa in
                fb.withLuma { pb, sb in tally.add(pa, sa, pb, sb, width: fa.width, height: fa.height) }
            }
        }
        return tally.result
    }
}

/// Running luma PSNR (every frame) and SSIM (every 4th frame, which is plenty and 4x cheaper).
struct QualityTally {
    private var squared = 0.0, pixels = 0.0, ssim = 0.0, frames = 0

    mutating func add(_ a: UnsafePointer<UInt8>, _ strideA: Int, _ b: UnsafePointer<UInt8>, _ strideB: Int, width: Int, height: Int) {
        squared += ImageQuality.squaredError(a, strideA, b, strideB, width: width, height: height)
        if frames % 4 == 0 { ssim += ImageQuality.ssim(a, strideA, b, strideB, width: width, height: height) }
        pixels += Double(width * height)
        frames += 1
    }

    /// (PSNR dB, SSIM), nil before any frame.
    var result: (Double, Double)? {
        frames > 0 ? (ImageQuality.psnr(meanSquaredError: squared / pixels), ssim / Double((frames + 3) / 4)) : nil
    }
}
