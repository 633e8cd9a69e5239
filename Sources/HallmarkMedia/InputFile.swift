import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Checks on an input path before anything opens it.
public enum InputFile {
    public struct Status: Sendable, Equatable {
        public var size: Int64
        /// Modification time in nanoseconds since 1970.
        public var modified: Int64
    }

    /// Size and modification time of the regular file at `path`. Anything else (missing, a
    /// directory, a FIFO, a socket, a device) is an `invalidInput` error: opening a FIFO blocks
    /// until a writer comes, and a device never ends.
    public static func status(of path: String) throws -> Status {
        var info = stat()
        guard stat(path, &info) == 0 else {
            let reason = errno == ENOENT ? "no such file" : String(cString: strerror(errno))
            throw MediaError(.invalidInput, "\(path): \(reason)")
        }
        switch info.st_mode & S_IFMT {
        case S_IFREG:
            return Status(size: Int64(info.st_size), modified: Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec))
        case S_IFDIR:
            throw MediaError(.invalidInput, "\(path): is a directory, not a video file")
        case S_IFIFO:
            throw MediaError(.invalidInput, "\(path): is a FIFO (named pipe), not a regular file; to read a stream, give - and pipe it to stdin")
        default:
            throw MediaError(.invalidInput, "\(path): is not a regular file")
        }
    }
}

/// Whether a file was read to its end: a truncated file, or one still being copied, is not.
public struct MediaCompleteness: Sendable, Equatable, Codable {
    public var isComplete: Bool
    /// What was missing, in words.
    public var detail: String?
}
