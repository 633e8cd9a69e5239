import Foundation
import HallmarkC2PA
import HallmarkFingerprint
import HallmarkMedia
import HallmarkSignal

/// One stamp under way, from `Stamper.prepare` to `Stamper.complete`: the settled account, mark
/// id and signing identity, and the temporary files the encode goes to. Dropped unfinished, it
/// removes its temporary files and leaves nothing in the registry.
final class StampJob {
    let request: StampRequest
    let account: String
    let markId: UInt64
    let identity: SigningIdentity?
    /// The output, under its temporary name until delivered.
    let output: AtomicOutput
    /// Where the encode goes: `output` itself, or a scratch file when a manifest is embedded after.
    let encoded: AtomicOutput
    /// The content fingerprint of the frames as they are marked (for reverse search).
    let fingerprint = FingerprintBuilder()

    init(request: StampRequest, account: String, markId: UInt64, identity: SigningIdentity?,
         output: AtomicOutput, encoded: AtomicOutput) {
        self.request = request
        self.account = account
        self.markId = markId
        self.identity = identity
        self.output = output
        self.encoded = encoded
    }

    /// The visible mark's filter and the invisible mark's per-frame embedding for frames of this size.
    func marking(key: WatermarkKey, width: Int, height: Int) -> Marking {
        Marking(filter: request.visibleMark.filter(width: width, height: height), fingerprint: fingerprint,
                embedder: WatermarkEmbedder(key: key, markId: markId, width: width, height: height, strength: request.strength))
    }
}

/// What a stamp does to each frame: the visible mark (a filter) then the invisible mark (on the
/// filtered luma). The embedder carries state from frame to frame, so one `Marking` serves one encode.
final class Marking {
    let filter: String
    private let embedder: WatermarkEmbedder
    private let fingerprint: FingerprintBuilder
    private let started = Date()
    private var embedSeconds = 0.0

    init(filter: String, fingerprint: FingerprintBuilder, embedder: WatermarkEmbedder) {
        self.filter = filter
        self.fingerprint = fingerprint
        self.embedder = embedder
    }

    /// Embeds the invisible mark in `frame` (frames keep the input's size: the filters only draw
    /// on them), after sampling it for the fingerprint when one is due.
    func embed(_ frame: VideoFrame) throws {
        guard frame.width == embedder.width, frame.height == embedder.height else { return }
        let embedStarted = Date()
        fingerprint.add(frame)
        try frame.withMutableLuma { embedder.embed(luma: $0, stride: $1) }
        embedSeconds += Date().timeIntervalSince(embedStarted)
    }

    /// With HALLMARK_TIMING set, one line on stderr: the encode's time and the embedding's share.
    func reportTiming(framesEncoded: Int) {
        guard ProcessInfo.processInfo.environment["HALLMARK_TIMING"] != nil else { return }
        FileHandle.standardError.write(Data(String(format: "transcode %.3fs, of which invisible mark %.3fs (%d frames)\n",
                                                   Date().timeIntervalSince(started), embedSeconds, framesEncoded).utf8))
    }
}
