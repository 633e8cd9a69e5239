import Foundation
import HallmarkC2PA
import HallmarkCrypto
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

    public init(input: URL, output: URL, account: String, label: String? = nil,
                visibleMark: VisibleMark = VisibleMark(content: .text(VisibleMark.defaultText)),
                encoder: EncoderSettings = .h264(), strength: Float = 1,
                signing: SigningChoice = .development, generator: Generator = .hallmark, model: String? = nil) {
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
/// The output appears only when everything succeeded, and the registry changes only when the
/// output is in place.
public final class Stamper: @unchecked Sendable {
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
    }

    public func stamp(_ request: StampRequest, progress: ((Double) -> Void)? = nil,
                      cancellation: Cancellation? = nil) throws -> StampResult {
        let account = request.account.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !account.isEmpty else { throw HallmarkError(.invalidInput, "--account must not be empty") }
        let signingIdentity = try resolveIdentity(request.signing)
        let output = try AtomicOutput(destination: request.output, input: request.input)
        if signingIdentity != nil, !["mp4", "mov", "m4v"].contains(request.output.pathExtension.lowercased()) {
            throw HallmarkError(.invalidInput, "Content Credentials need an MP4 or MOV output (.mp4, .mov, .m4v)")
        }
        // With a manifest, the encode goes to a scratch file that the signer then copies once.
        let encoded = signingIdentity == nil ? output : try AtomicOutput(destination: request.output.deletingPathExtension().appendingPathExtension("unsigned.\(request.output.pathExtension)"), input: request.input)
        let transcoder: Transcoder
        do { transcoder = try Transcoder(input: request.input) } catch let error as MediaError { throw error.asHallmarkError }

        let markId: UInt64
        do { markId = try registry.unusedMarkId() } catch { throw HallmarkError(.configuration, "registry: \(error)") }
        let info = transcoder.info
        let embedder = WatermarkEmbedder(key: key, markId: markId, width: info.width, height: info.height, strength: request.strength)
        let filter = request.visibleMark.filter(width: info.width, height: info.height)

        let summary: TranscodeSummary
        let started = Date()
        var embedSeconds = 0.0
        do {
            summary = try transcoder.run(
                to: encoded.temporary, filter: filter, encoder: request.encoder, copyAudio: true,
                process: { frame in
                    // Frames keep the input's size: the filters only draw on them.
                    guard frame.width == embedder.width, frame.height == embedder.height else { return }
                    let embedStarted = Date()
                    try frame.withMutableLuma { embedder.embed(luma: $0, stride: $1) }
                    embedSeconds += Date().timeIntervalSince(embedStarted)
                },
                progress: progress, cancellation: cancellation)
        } catch let error as MediaError {
            encoded.discard()
            throw error.asHallmarkError
        }

        if ProcessInfo.processInfo.environment["HALLMARK_TIMING"] != nil {
            FileHandle.standardError.write(Data(String(format: "transcode %.3fs, of which invisible mark %.3fs (%d frames)\n",
                                                       Date().timeIntervalSince(started), embedSeconds, summary.framesEncoded).utf8))
        }
        var manifest: [UInt8]? = nil
        if let signingIdentity {
            let manifestRequest = ManifestRequest(
                generatorName: request.generator.name, generatorVersion: request.generator.version,
                title: request.label, softBindingMarkId: markId, model: request.model,
                accountReference: account, clipLabel: request.label)
            do {
                manifest = try ManifestEmbedder.embed(input: encoded.temporary, output: output.temporary,
                                                      request: manifestRequest, identity: signingIdentity)
            } catch {
                encoded.discard()
                output.discard()
                throw HallmarkError(.cannotWrite, "cannot embed the C2PA manifest: \(error)")
            }
            encoded.discard()
        }

        let inputHash = try? SHA256Hasher.hashFile(at: request.input).hexString
        let outputHash = try? SHA256Hasher.hashFile(at: output.temporary).hexString
        let record = MarkRecord(markId: markId, account: account, clipLabel: request.label,
                                inputSHA256: inputHash, outputSHA256: outputHash, createdAt: Date(),
                                visibleMark: request.visibleMark.registryDescription,
                                manifest: manifest.map { Data($0) })
        try output.commit()
        do {
            try registry.insert(record)
        } catch {
            // Without its record the clip could not be traced: take it back.
            try? FileManager.default.removeItem(at: output.destination)
            throw HallmarkError(.cannotWrite, "registry: \(error)")
        }
        return StampResult(markId: markId, record: record, output: output.destination,
                           framesEncoded: summary.framesEncoded, warnings: summary.warnings, manifest: manifest)
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
