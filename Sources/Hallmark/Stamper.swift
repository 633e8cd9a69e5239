import Foundation
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
    /// Peak amplitude of the invisible pattern in luma levels.
    public var strength: Float

    public init(input: URL, output: URL, account: String, label: String? = nil,
                visibleMark: VisibleMark = VisibleMark(content: .text(VisibleMark.defaultText)),
                encoder: EncoderSettings = .h264(), strength: Float = 3.0) {
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

    /// The mark id as 16 lowercase hexadecimal digits.
    public var markIdHex: String { MarkID.hex(markId) }
}

/// Stamps clips: visible mark, invisible spectral watermark carrying a fresh mark id, H.264 encode,
/// then the registry record. The output appears only when everything succeeded, and the registry
/// changes only when the output is in place.
public final class Stamper: @unchecked Sendable {
    public let key: WatermarkKey
    public let registry: any MarkRegistry

    public init(key: WatermarkKey, registry: any MarkRegistry) {
        self.key = key
        self.registry = registry
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
        self.init(key: key, registry: registry)
    }

    public func stamp(_ request: StampRequest, progress: ((Double) -> Void)? = nil,
                      cancellation: Cancellation? = nil) throws -> StampResult {
        let account = request.account.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !account.isEmpty else { throw HallmarkError(.invalidInput, "--account must not be empty") }
        let output = try AtomicOutput(destination: request.output, input: request.input)
        let transcoder: Transcoder
        do { transcoder = try Transcoder(input: request.input) } catch let error as MediaError { throw error.asHallmarkError }

        let markId: UInt64
        do { markId = try registry.unusedMarkId() } catch { throw HallmarkError(.configuration, "registry: \(error)") }
        let info = transcoder.info
        let embedder = WatermarkEmbedder(key: key, markId: markId, width: info.width, height: info.height, strength: request.strength)
        let filter = request.visibleMark.filter(width: info.width, height: info.height)

        let summary: TranscodeSummary
        do {
            summary = try transcoder.run(
                to: output.temporary, filter: filter, encoder: request.encoder, copyAudio: true,
                process: { frame in
                    // Frames keep the input's size: the filters only draw on them.
                    guard frame.width == embedder.width, frame.height == embedder.height else { return }
                    try frame.withMutableLuma { embedder.embed(luma: $0, stride: $1) }
                },
                progress: progress, cancellation: cancellation)
        } catch let error as MediaError {
            output.discard()
            throw error.asHallmarkError
        }

        let inputHash = try? SHA256Hasher.hashFile(at: request.input).hexString
        let outputHash = try? SHA256Hasher.hashFile(at: output.temporary).hexString
        let record = MarkRecord(markId: markId, account: account, clipLabel: request.label,
                                inputSHA256: inputHash, outputSHA256: outputHash, createdAt: Date(),
                                visibleMark: request.visibleMark.registryDescription)
        try output.commit()
        do {
            try registry.insert(record)
        } catch {
            // Without its record the clip could not be traced: take it back.
            try? FileManager.default.removeItem(at: output.destination)
            throw HallmarkError(.cannotWrite, "registry: \(error)")
        }
        return StampResult(markId: markId, record: record, output: output.destination,
                           framesEncoded: summary.framesEncoded, warnings: summary.warnings)
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
