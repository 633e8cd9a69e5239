import HallmarkCrypto
import HallmarkMedia

/// The input hash of a clip that arrives as frames (a pipe, or a `StampSession`): SHA-256 over
/// the frames in the order received, each as raw video stores it (its planes one after the
/// other, rows without padding, in the pixel format it arrived in), before any mark is drawn.
///
/// For raw video on standard input this is the SHA-256 of the bytes piped in; for y4m or nut it
/// is the hash of the decoded pictures, without the container's headers.
final class FrameHash {
    private let hasher = SHA256Hasher()
    private var buffer: [UInt8] = []
    private(set) var frames = 0

    /// Adds a decoded frame.
    func add(_ frame: VideoFrame) throws {
        try frame.packedBytes(into: &buffer)
        hasher.update(buffer)
        frames += 1
    }

    /// Adds a frame already in raw-video layout.
    func add(packed bytes: UnsafeRawBufferPointer) {
        hasher.update(bytes)
        frames += 1
    }

    /// The digest in lowercase hexadecimal; the hash takes no frames afterwards.
    func finalize() -> String { hasher.finalize().hexString }
}
