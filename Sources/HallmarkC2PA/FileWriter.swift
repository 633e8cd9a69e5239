import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file written through a POSIX descriptor, with a write buffer. It writes `destination`
/// itself (created, or truncated); dropped without `finish()`, it removes what it wrote. Callers
/// that must never show a partial file give it a temporary path and rename that when done
/// (Hallmark's `AtomicOutput`).
final class OutputFileWriter {
    let destination: URL
    private var fd: Int32
    private var buffer: [UInt8] = []
    private let bufferLimit = 1 << 22
    private(set) var position: UInt64 = 0
    private var finished = false

    init(destination: URL, mode: mode_t = 0o644) throws {
        self.destination = destination
        fd = open(destination.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else {
            throw C2PAError(.io, "cannot create \(destination.path): \(String(cString: strerror(errno)))")
        }
        buffer.reserveCapacity(bufferLimit)
    }

    deinit {
        if fd >= 0 { close(fd) }
        if !finished { unlink(destination.path) }
    }

    func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        if buffer.count + bytes.count > bufferLimit { try flush() }
        if bytes.count >= bufferLimit {
            try writeAll(bytes)
        } else {
            buffer.append(contentsOf: bytes)
        }
        position += UInt64(bytes.count)
    }

    func flush() throws {
        guard !buffer.isEmpty else { return }
        try buffer.withUnsafeBytes { try writeAll($0) }
        buffer.removeAll(keepingCapacity: true)
    }

    private func writeAll(_ bytes: UnsafeRawBufferPointer) throws {
        var done = 0
        while done < bytes.count {
            let n = systemWrite(fd, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw C2PAError(.io, "cannot write \(destination.path): \(String(cString: strerror(errno)))") }
            done += n
        }
    }

    /// Overwrites already written bytes at `offset`.
    func overwrite(_ bytes: [UInt8], at offset: UInt64) throws {
        try flush()
        var done = 0
        while done < bytes.count {
            let n = bytes[done...].withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, off_t(offset) + off_t(done)) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw C2PAError(.io, "cannot write \(destination.path): \(String(cString: strerror(errno)))") }
            done += n
        }
    }

    /// Flushes, syncs and closes the file.
    func finish() throws {
        try flush()
        guard fsync(fd) == 0 else { throw C2PAError(.io, "cannot sync \(destination.path): \(String(cString: strerror(errno)))") }
        close(fd)
        fd = -1
        finished = true
    }
}

@inline(__always)
private func systemWrite(_ fd: Int32, _ pointer: UnsafeRawPointer, _ count: Int) -> Int {
    #if canImport(Glibc)
    return Glibc.write(fd, pointer, count)
    #else
    return Darwin.write(fd, pointer, count)
    #endif
}
