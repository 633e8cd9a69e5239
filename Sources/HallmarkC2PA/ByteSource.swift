import Foundation

/// Random-access bytes: a file read on demand or a buffer in memory.
public protocol ByteSource {
    var length: UInt64 { get }
    /// Exactly `count` bytes at `offset`; throws when they are not all there.
    func read(at offset: UInt64, count: Int) throws -> [UInt8]
}

/// A file read with positioned reads; the descriptor closes when this object goes away.
public final class FileByteSource: ByteSource {
    public let url: URL
    public let length: UInt64
    private let handle: FileHandle

    public init(url: URL) throws {
        self.url = url
        do {
            handle = try FileHandle(forReadingFrom: url)
            length = try handle.seekToEnd()
        } catch {
            throw C2PAError(.io, "cannot read \(url.path): \(error.localizedDescription)")
        }
    }

    deinit { try? handle.close() }

    public func read(at offset: UInt64, count: Int) throws -> [UInt8] {
        guard count >= 0, offset <= length, UInt64(count) <= length - offset else {
            throw C2PAError(.bmff, "read of \(count) bytes at \(offset) runs past the end of the file (\(length) bytes)")
        }
        if count == 0 { return [] }
        try handle.seek(toOffset: offset)
        guard let data = try handle.read(upToCount: count), data.count == count else {
            throw C2PAError(.io, "short read at \(offset) in \(url.path)")
        }
        return [UInt8](data)
    }

    /// Calls `body` with consecutive chunks of `range`, each at most `chunkSize` bytes.
    public func stream(_ range: Range<UInt64>, chunkSize: Int = 1 << 22, _ body: (UInt64, [UInt8]) throws -> Void) throws {
        guard range.upperBound <= length else { throw C2PAError(.bmff, "range past the end of the file") }
        var position = range.lowerBound
        if position < range.upperBound { try handle.seek(toOffset: position) }
        while position < range.upperBound {
            let want = Int(min(UInt64(chunkSize), range.upperBound - position))
            guard let data = try handle.read(upToCount: want), data.count == want else {
                throw C2PAError(.io, "short read at \(position) in \(url.path)")
            }
            try body(position, [UInt8](data))
            position += UInt64(want)
        }
    }
}

/// Bytes in memory.
public struct MemoryByteSource: ByteSource {
    public let bytes: [UInt8]
    public init(_ bytes: [UInt8]) { self.bytes = bytes }
    public var length: UInt64 { UInt64(bytes.count) }
    public func read(at offset: UInt64, count: Int) throws -> [UInt8] {
        guard count >= 0, offset <= length, UInt64(count) <= length - offset else {
            throw C2PAError(.bmff, "read of \(count) bytes at \(offset) runs past the end of the data (\(length) bytes)")
        }
        return Array(bytes[Int(offset)..<(Int(offset) + count)])
    }
}
