import Foundation
import HallmarkFingerprint
import HallmarkMedia

/// Fingerprints of whole files, for the cases without a decode of their own to ride on
/// (`registry backfill`, the fingerprint evaluation). Stamp and verify compute theirs during
/// the decode they already do.
public enum ClipFingerprint {
    /// Decodes `url` and fingerprints its frames.
    /// `suspect`: with the crop hypotheses (see `FingerprintBuilder.init(suspect:)`).
    public static func of(_ url: URL, suspect: Bool = false, cancellation: Cancellation? = nil) throws -> Fingerprint {
        let reader: FrameReader
        do { reader = try FrameReader(url: url) } catch let error as MediaError { throw error.asHallmarkError }
        if reader.isStillImage { throw HallmarkError(.invalidInput, "\(url.path): is a still image, not a video") }
        let builder = FingerprintBuilder(suspect: suspect)
        do {
            while let frame = try reader.next() {
                if cancellation?.isCancelled == true { throw HallmarkError(.cancelled, "interrupted") }
                builder.add(frame)
            }
        } catch let error as MediaError { throw error.asHallmarkError }
        let fingerprint = builder.finish()
        guard !fingerprint.hashes.isEmpty else { throw HallmarkError(.invalidInput, "\(url.path): no video frames") }
        return fingerprint
    }
}

extension FingerprintBuilder {
    /// Samples `frame` if it is due (cheap when it is not: only its time is looked at).
    func add(_ frame: VideoFrame) {
        guard frame.time.isFinite, wants(time: frame.time) else { return }
        frame.withLuma { add(luma: $0, stride: $1, width: frame.width, height: frame.height, time: frame.time) }
    }
}
