import Foundation
import HallmarkC2PA
import HallmarkCrypto
import HallmarkFingerprint
import HallmarkMedia
import HallmarkRegistry
import HallmarkSignal

/// What to stamp and how.
public struct StampRequest: Sendable {
    public var input: URL
    public var output: URL
    public var account: String
    public var label: String?
    public var visibleMark: VisibleMark
    public var encoder: EncoderSettings
    /// Invisible mark amplitude relative to the calibrated default (1). Lower trades robustness
    /// for bitrate and encoding time; the quality caps hold at any value.
    public var strength: Float
    /// How the C2PA manifest is signed (`.none`: no manifest).
    public var signing: SigningChoice
    public var generator: Generator
    /// The model that generated the clip, recorded in the manifest.
    public var model: String?
    /// Groups the copies of one generation issued to several accounts (attribution then scores
    /// them together). Default: the input file's SHA-256, which copies stamped from the same
    /// file share.
    public var sourceId: String?
    /// When set, the clip is read from standard input in this form and `input` only names it
    /// (conventionally `-`). The input hash is then that of the frames received (`FrameHash`).
    public var stream: StreamInput?

    public init(input: URL, output: URL, account: String, label: String? = nil,
                visibleMark: VisibleMark = VisibleMark(content: .text(VisibleMark.defaultText)),
                encoder: EncoderSettings = .h264(), strength: Float = 1,
                signing: SigningChoice = .development, generator: Generator = .hallmark, model: String? = nil,
                sourceId: String? = nil, stream: StreamInput? = nil) {
        self.stream = stream
        self.sourceId = sourceId
        self.signing = signing
        self.generator = generator
        self.model = model
        self.input = input
        self.output = output
        self.account = account
        self.label = label
        self.visibleMark = visibleMark
        self.encoder = encoder
        self.strength = strength
    }
}

public struct StampResult: Sendable {
    public var markId: UInt64
    public var record: MarkRecord
    public var output: URL
    public var framesEncoded: Int
    public var warnings: [String]
    /// The manifest store embedded in the output, nil when stamped without one.
    public var manifest: [UInt8]?

    /// The mark id as 16 lowercase hexadecimal digits.
    public var markIdHex: String { MarkID.hex(markId) }
}

/// Stamps clips: visible mark, invisible spectral watermark carrying a fresh mark id, H.264 encode,
/// a signed C2PA manifest (with the mark id as its soft binding), then the registry record.
/// The output appears only when everything succeeded, and never without its registry record.
public final class Stamper: Sendable {
    public let key: WatermarkKey
    public let registry: any MarkRegistry
    /// Where development signing keys live (and are created); nil: only explicit identities sign.
    public let home: HallmarkHome?

    public init(key: WatermarkKey, registry: any MarkRegistry, home: HallmarkHome? = nil) {
        self.key = key
        self.registry = registry
        self.home = home
    }

    /// Opens the key (creating it on first use) and the registry of `home`.
    public convenience init(home: HallmarkHome, registryLocation: RegistryLocation? = nil) throws {
        try home.ensureExists()
        let key = try WatermarkKeyStore.loadOrCreate(at: home.watermarkKeyURL)
        let location = registryLocation ?? .sqlite(path: home.registryURL.path)
        let registry: any MarkRegistry
        do {
            registry = try openRegistry(location, create: true)
        } catch {
            throw HallmarkError(.configuration, "registry: \(error)")
        }
        self.init(key: key, registry: registry, home: home)
        // Settle what stamps killed earlier left pending (never fatal: the stamp can go on).
        _ = try? Deliveries.reconcile(registry)
    }

    /// Stamps the clip `request` names (a file, or standard input with `request.stream`).
    public func stamp(_ request: StampRequest, progress: ((Double) -> Void)? = nil,
                      cancellation: Cancellation? = nil) throws -> StampResult {
        let inputStatus: InputFile.Status?
        do {
            inputStatus = request.stream == nil ? try InputFile.status(of: request.input.path) : nil
        } catch let error as MediaError { throw error.asHallmarkError }
        let job = try prepare(request, input: request.stream == nil ? request.input : nil)
        let transcoder: Transcoder
        do {
            transcoder = try request.stream.map { try Transcoder(stream: $0) } ?? Transcoder(input: request.input)
        } catch let error as MediaError { throw error.asHallmarkError }
        if transcoder.isStillImage {
            throw HallmarkError(.invalidInput, "\(request.input.path): is a still image (\(transcoder.info.container)), not a video")
        }
        // A stream cannot be read twice: its frames are hashed as they arrive.
        let frameHash = request.stream == nil ? nil : FrameHash()
        let summary = try encode(transcoder, job: job, received: frameHash.map { hash in { try hash.add($0) } },
                                 progress: progress, cancellation: cancellation)
        try checkInputWasWhole(request, summary: summary, statusBefore: inputStatus)
        let inputHash = frameHash?.finalize() ?? (try? SHA256Hasher.hashFile(at: request.input).hexString)
        return try complete(job, framesEncoded: summary.framesEncoded, warnings: summary.warnings, inputHash: inputHash)
    }

    /// What is settled before the first frame: the account, the signing identity, the temporary
    /// output (beside the destination) and the new mark id. `input`: the file being stamped, which
    /// the output must not be.
    func prepare(_ request: StampRequest, input: URL?) throws -> StampJob {
        let account = request.account.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !account.isEmpty else { throw HallmarkError(.invalidInput, "--account must not be empty") }
        let signingIdentity = try resolveIdentity(request.signing)
        if signingIdentity != nil, !["mp4", "mov", "m4v"].contains(request.output.pathExtension.lowercased()) {
            throw HallmarkError(.invalidInput, "Content Credentials need an MP4 or MOV output (.mp4, .mov, .m4v)")
        }
        let output = try AtomicOutput(destination: request.output, input: input)
        // With a manifest, the encode goes to a scratch file that the signer then copies once.
        let encoded = signingIdentity == nil ? output : try output.scratch()
        let markId: UInt64
        do { markId = try registry.unusedMarkId() } catch { throw HallmarkError(.configuration, "registry: \(error)") }
        return StampJob(request: request, account: account, markId: markId, identity: signingIdentity,
                        output: output, encoded: encoded)
    }

    /// After the last frame is encoded into `job.encoded`: the manifest, the registry record and
    /// the output into place (see `deliver`).
    func complete(_ job: StampJob, framesEncoded: Int, warnings: [String], inputHash: String?) throws -> StampResult {
        let request = job.request, output = job.output
        var manifest: [UInt8]? = nil
        if let signingIdentity = job.identity {
            // The manifest names no account: the mark id (its soft binding) is the opaque
            // reference that only the registry resolves.
            let manifestRequest = ManifestRequest(
                generatorName: request.generator.name, generatorVersion: request.generator.version,
                title: request.label, softBindingMarkId: job.markId, model: request.model, clipLabel: request.label)
            do {
                manifest = try ManifestEmbedder.embed(input: job.encoded.temporary, output: output.temporary,
                                                      request: manifestRequest, identity: signingIdentity)
            } catch {
                throw HallmarkError(.cannotWrite, "cannot embed the C2PA manifest: \(error)")
            }
            job.encoded.discard()
        }

        let outputHash = try? SHA256Hasher.hashFile(at: output.temporary).hexString
        let record = MarkRecord(markId: job.markId, account: job.account, clipLabel: request.label,
                                inputSHA256: inputHash, outputSHA256: outputHash, createdAt: Date(),
                                visibleMark: request.visibleMark.registryDescription,
                                manifest: manifest.map { Data($0) },
                                delivery: .pending, outputPath: output.destination.path,
                                pendingOwner: Deliveries.owner(temporary: output.temporary),
                                sourceId: request.sourceId ?? inputHash,
                                manifestLabel: manifest.map { ManifestLabel.active(inStore: $0) ?? MarkRecord.noManifestLabel })
        // The source's fingerprint goes in with the record (the first copy of a source stores it).
        let fingerprint = job.fingerprint.finish()
        let stored = record.sourceId.flatMap { fingerprint.hashes.isEmpty ? nil : SourceSearch.stored(fingerprint, sourceId: $0) }
        try deliver(output, record: record, fingerprint: stored)
        return StampResult(markId: job.markId, record: record, output: output.destination,
                           framesEncoded: framesEncoded, warnings: warnings, manifest: manifest)
    }

    /// Decode, visible mark, invisible mark, encode.
    private func encode(_ transcoder: Transcoder, job: StampJob, received: ((VideoFrame) throws -> Void)?,
                        progress: ((Double) -> Void)?, cancellation: Cancellation?) throws -> TranscodeSummary {
        let info = transcoder.info
        let marking = job.marking(key: key, width: info.width, height: info.height)
        let summary: TranscodeSummary
        do {
            summary = try transcoder.run(
                to: job.encoded.temporary, filter: marking.filter, encoder: job.request.encoder, copyAudio: true,
                received: received, process: marking.embed, progress: progress, cancellation: cancellation)
        } catch let error as MediaError {
            throw error.asHallmarkError
        }
        marking.reportTiming(framesEncoded: summary.framesEncoded)
        return summary
    }

    /// A truncated input, or one that changed while it was read (still being copied), is refused:
    /// a stamp of part of a clip would be registered as if it were the clip.
    /// A stream is whole when it ended cleanly at the end of a frame.
    private func checkInputWasWhole(_ request: StampRequest, summary: TranscodeSummary, statusBefore: InputFile.Status?) throws {
        let input = request.input
        if !summary.completeness.isComplete {
            let what = request.stream == nil ? "\(input.path): the file is truncated or damaged" : "standard input: the stream is truncated or damaged"
            throw HallmarkError(.invalidInput, "\(what) (\(summary.completeness.detail ?? "it ended early")); nothing was stamped")
        }
        guard let statusBefore else { return }
        let after = try? InputFile.status(of: input.path)
        if after != statusBefore {
            throw HallmarkError(.invalidInput, "\(input.path): the file changed while it was read (is it still being copied?); nothing was stamped")
        }
    }

    /// The registry record first (pending), then the output into place, then the record marked
    /// delivered. If the registry cannot be written, nothing is renamed and an existing file at
    /// the destination stays as it was; a process killed in between leaves a pending record that
    /// `Deliveries.reconcile` settles, never an output without its record.
    private func deliver(_ output: AtomicOutput, record: MarkRecord, fingerprint: StoredFingerprint?) throws {
        do {
            try registry.insert(record, fingerprint: fingerprint)
        } catch {
            throw HallmarkError(.cannotWrite, "registry: \(error); nothing was written to \(output.destination.path)")
        }
        Failpoint.hit("stamp.before-rename")
        do {
            try output.commit()
        } catch {
            try? registry.setDelivery(markId: record.markId, to: .notDelivered)
            throw error
        }
        Failpoint.hit("stamp.after-rename")
        // Should this fail, the record stays pending with its output in place; the next
        // reconciliation sees the output and marks it delivered.
        try? registry.setDelivery(markId: record.markId, to: .delivered)
    }

    private func resolveIdentity(_ choice: SigningChoice) throws -> SigningIdentity? {
        if case .development = choice, home == nil {
            throw HallmarkError(.configuration, "development signing keys need a Hallmark home")
        }
        return try ContentCredentials.identity(for: choice, home: home ?? HallmarkHome(directory: URL(fileURLWithPath: "/")))?.identity
    }
}

/// Mark ids as people and scripts see them: 16 lowercase hexadecimal digits.
public enum MarkID {
    public static func hex(_ id: UInt64) -> String {
        let digits = String(id, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    public static func parse(_ text: String) -> UInt64? {
        guard text.count == 16 else { return nil }
        return UInt64(text, radix: 16)
    }
}

extension MediaError {
    var asHallmarkError: HallmarkError {
        switch kind {
        case .invalidInput, .noVideo: return HallmarkError(.invalidInput, message)
        case .output: return HallmarkError(.cannotWrite, message)
        case .cancelled: return HallmarkError(.cancelled, "interrupted: no output written")
        case .unsupported: return HallmarkError(.invalidInput, message)
        }
    }
}
