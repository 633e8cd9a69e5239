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
    public static func loadOrCreate(at url: URL) throws -> WatermarkKey {
        if FileManager.default.fileExists(atPath: url.path) { return try load(from: url) }
        let key = WatermarkKey.generate()
        let text = Array((key.bytes.map { String(format: "%02x", $0) }.joined() + "\n").utf8)
        // O_EXCL with mode 0600: the secret is never readable by others, not even for an instant,
        // and two processes creating it at once cannot both win.
        let fd = open(url.path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        if fd < 0 {
            if errno == EEXIST { return try load(from: url) }
            throw HallmarkError(.cannotWrite, "cannot create the watermark key at \(url.path): \(String(cString: strerror(errno)))")
        }
        let written = text.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        let synced = fsync(fd)
        close(fd)
        guard written == text.count, synced == 0 else {
            unlink(url.path)
            throw HallmarkError(.cannotWrite, "cannot write the watermark key at \(url.path)")
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
