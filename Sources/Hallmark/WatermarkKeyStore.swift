import Foundation
import HallmarkSignal

/// Reads and creates the watermark key file: 64 hexadecimal digits and a newline, mode 0600.
public enum WatermarkKeyStore {
    /// The key at `url`; a missing file is an error.
    public static func load(from url: URL) throws -> WatermarkKey {
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw HallmarkError(.configuration, "no watermark key at \(url.path) (stamping creates one; use --home to point at another)")
        }
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw HallmarkError(.configuration, "cannot read the watermark key at \(url.path)")
        }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard text.count == 2 * WatermarkKey.byteCount, let bytes = decodeHex(text), let key = WatermarkKey(bytes: bytes) else {
            throw HallmarkError(.configuration, "the watermark key at \(url.path) is not valid (expected \(2 * WatermarkKey.byteCount) hexadecimal digits)")
        }
        return key
    }

    /// The key at `url`, created first (from the system's secure random source) if missing.
    ///
    /// The key is written whole to a private temporary file (mode 0600 from the start, so the
    /// secret is never readable by others, not even for an instant) and then hard-linked to its
    /// name, which fails if it exists: of several processes creating it at once exactly one wins,
    /// and the others read the winner's complete key, never a half-written file.
    public static func loadOrCreate(at url: URL) throws -> WatermarkKey {
        if FileManager.default.fileExists(atPath: url.path) { return try load(from: url) }
        let key = WatermarkKey.generate()
        let text = Array((key.bytes.map { String(format: "%02x", $0) }.joined() + "\n").utf8)
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".watermark.key.\(UUID().uuidString.prefix(8))")
        let fd = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw HallmarkError(.cannotWrite, "cannot create the watermark key at \(url.path): \(String(cString: strerror(errno)))")
        }
        defer { unlink(temporary.path) }
        let written = text.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        let synced = fsync(fd)
        close(fd)
        guard written == text.count, synced == 0 else {
            throw HallmarkError(.cannotWrite, "cannot write the watermark key at \(url.path)")
        }
        if link(temporary.path, url.path) != 0 {
            if errno == EEXIST { return try load(from: url) }
            throw HallmarkError(.cannotWrite, "cannot create the watermark key at \(url.path): \(String(cString: strerror(errno)))")
        }
        return key
    }

    static func decodeHex(_ text: String) -> [UInt8]? {
        var bytes: [UInt8] = []
        var iterator = text.utf8.makeIterator()
        while let high = iterator.next() {
            guard let low = iterator.next(), let h = nibble(high), let l = nibble(low) else { return nil }
            bytes.append(h << 4 | l)
        }
        return bytes
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case 48...57: return c - 48
        case 97...102: return c - 87
        case 65...70: return c - 55
        default: return nil
        }
    }
}
