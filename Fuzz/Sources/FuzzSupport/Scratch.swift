import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A file the targets that need a real file (the validator, the BMFF hash verifier) write each
/// input to: one per process, in /dev/shm when there is one, removed at exit.
public enum Scratch {
    public static let url: URL = {
        atexit { unlink(Scratch.path()) }
        return URL(fileURLWithPath: path())
    }()

    static func path() -> String {
        let base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp"
        return "\(base)/hallmark-fuzz-\(getpid()).mp4"
    }

    /// Writes `count` bytes at `bytes` to the scratch file (replacing what was there).
    public static func write(_ bytes: UnsafeRawBufferPointer) -> URL {
        let fd = open(url.path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        precondition(fd >= 0, "cannot open the scratch file \(url.path)")
        var done = 0
        while done < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + done, bytes.count - done)
            precondition(n > 0, "cannot write the scratch file")
            done += n
        }
        close(fd)
        return url
    }

    public static func write(_ bytes: [UInt8]) -> URL { bytes.withUnsafeBytes { write($0) } }
}

/// The fuzzer's input as an array.
@inline(__always)
public func input(_ data: UnsafePointer<UInt8>, _ size: Int) -> [UInt8] {
    Array(UnsafeBufferPointer(start: data, count: size))
}
