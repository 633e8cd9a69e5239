import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file written under a temporary name beside its destination and renamed into place only
/// when complete, so a failure or Ctrl-C never leaves a partial output and an existing file at
/// the destination is replaced only by a finished one.
///
/// The temporary file is named `.NAME.hallmark-XXXXXXXX.EXT` and its writer holds an exclusive
/// `flock` on it for as long as it lives. A process killed with SIGKILL cannot remove its files,
/// so every new output first removes the temporary files beside it whose lock nobody holds any
/// more (`StaleTemporaries`): what a killed stamp left is cleaned by the next one.
public final class AtomicOutput {
    public let destination: URL
    public let temporary: URL
    /// The open descriptor holding the lock that marks `temporary` as in use.
    private var lockDescriptor: Int32
    private var committed = false

    /// - Throws: when `destination` is the same file as `input`, or its directory is not writable.
    public init(destination: URL, input: URL? = nil) throws {
        let destination = destination.standardizedFileURL
        if let input, Self.sameFile(input, destination) {
            throw HallmarkError(.cannotWrite, "refusing to overwrite the input \(input.path): choose another output")
        }
        let directory = destination.deletingLastPathComponent()
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw HallmarkError(.cannotWrite, "cannot write \(destination.path): directory \(directory.path) does not exist")
        }
        if FileManager.default.fileExists(atPath: destination.path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw HallmarkError(.cannotWrite, "cannot write \(destination.path): it is a directory")
        }
        StaleTemporaries.remove(in: directory)
        self.destination = destination
        (temporary, lockDescriptor) = try Self.createLocked(beside: destination)
        Self.pending.withLock { _ = $0.insert(temporary.path) }
    }

    /// A second temporary file beside the same destination (for an intermediate step), with the
    /// same naming and locking, removed when it goes away.
    public func scratch() throws -> AtomicOutput {
        try AtomicOutput(scratchBeside: destination)
    }

    private init(scratchBeside destination: URL) throws {
        self.destination = destination
        (temporary, lockDescriptor) = try Self.createLocked(beside: destination)
        Self.pending.withLock { _ = $0.insert(temporary.path) }
    }

    deinit {
        if !committed { unlink(temporary.path) }
        if lockDescriptor >= 0 { close(lockDescriptor) }
        Self.pending.withLock { _ = $0.remove(temporary.path) }
    }

    /// Flushes the temporary file to disk and renames it over the destination.
    public func commit() throws {
        guard fsync(lockDescriptor) == 0 else {
            throw HallmarkError(.cannotWrite, "cannot write \(destination.path): \(String(cString: strerror(errno)))")
        }
        guard rename(temporary.path, destination.path) == 0 else {
            throw HallmarkError(.cannotWrite, "cannot move the output into place at \(destination.path): \(String(cString: strerror(errno)))")
        }
        committed = true
        close(lockDescriptor)
        lockDescriptor = -1
    }

    /// Writes `data` as the whole content of the temporary file (through the locked descriptor,
    /// so the file stays the one this output holds).
    public func write(_ data: Data) throws {
        guard ftruncate(lockDescriptor, 0) == 0 else {
            throw HallmarkError(.cannotWrite, "cannot write \(destination.path): \(String(cString: strerror(errno)))")
        }
        try data.withUnsafeBytes { buffer in
            var done = 0
            while done < buffer.count {
                let n = pwrite(lockDescriptor, buffer.baseAddress! + done, buffer.count - done, off_t(done))
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { throw HallmarkError(.cannotWrite, "cannot write \(destination.path): \(String(cString: strerror(errno)))") }
                done += n
            }
        }
    }

    /// Removes the temporary file now.
    public func discard() {
        unlink(temporary.path)
    }

    /// A new, empty, locked temporary file beside `destination` (keeping its extension, which
    /// tells the muxer the format).
    private static func createLocked(beside destination: URL) throws -> (URL, Int32) {
        let directory = destination.deletingLastPathComponent()
        let ext = destination.pathExtension.isEmpty ? "" : ".\(destination.pathExtension)"
        for _ in 0..<8 {
            let suffix = String(format: "%08x", UInt32.random(in: .min ... .max))
            let base = ".\(destination.deletingPathExtension().lastPathComponent)\(StaleTemporaries.marker)"
            let url = directory.appendingPathComponent("\(base)\(suffix)\(ext)")
            // Created under a name the cleaner ignores and renamed once locked, so that another
            // process's cleaner never sees it unlocked.
            let creating = directory.appendingPathComponent("\(base)creating-\(suffix)")
            let fd = open(creating.path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            if fd < 0 && errno == EEXIST { continue }
            guard fd >= 0 else {
                throw HallmarkError(.cannotWrite, "cannot write in \(directory.path): \(String(cString: strerror(errno)))")
            }
            guard flock(fd, LOCK_EX | LOCK_NB) == 0, !FileManager.default.fileExists(atPath: url.path),
                  rename(creating.path, url.path) == 0 else {
                let reason = String(cString: strerror(errno))
                close(fd)
                unlink(creating.path)
                throw HallmarkError(.cannotWrite, "cannot create a temporary file in \(directory.path): \(reason)")
            }
            return (url, fd)
        }
        throw HallmarkError(.cannotWrite, "cannot create a temporary file in \(directory.path)")
    }

    static func sameFile(_ a: URL, _ b: URL) -> Bool {
        if a.standardizedFileURL.resolvingSymlinksInPath().path == b.standardizedFileURL.resolvingSymlinksInPath().path { return true }
        var sa = stat(), sb = stat()
        guard stat(a.path, &sa) == 0, stat(b.path, &sb) == 0 else { return false }
        return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino
    }

    /// Temporary files of this process not yet committed, for an interrupt that exits at once.
    private static let pending = Mutex(Set<String>())

    /// Deletes every temporary output not yet committed (for an interrupt that exits at once).
    public static func removeAllPending() {
        for path in pending.withLock({ $0 }) { unlink(path) }
    }
}

/// Temporary outputs that their writer no longer holds: left by a process that was killed.
public enum StaleTemporaries {
    static let marker = ".hallmark-"

    /// Whether `name` is one of our temporary names: `.NAME.hallmark-XXXXXXXX[.EXT]`, or
    /// `.NAME.hallmark-creating-XXXXXXXX` (`creating`: the name before the file is locked).
    static func isTemporaryName(_ name: String, creating: Bool = false) -> Bool {
        guard name.hasPrefix("."), let range = name.range(of: marker, options: .backwards) else { return false }
        var rest = name[range.upperBound...]
        if creating {
            guard rest.hasPrefix("creating-") else { return false }
            rest = rest.dropFirst("creating-".count)
        }
        let suffix = rest.prefix { $0 != "." }
        return suffix.count == 8 && suffix.allSatisfy(\.isHexDigit) && (!creating || suffix.count == rest.count)
    }

    /// A file still under its creating name is locked microseconds later: one this old was left
    /// by a process killed in between.
    static let creatingGrace: TimeInterval = 10

    /// Whether a live process still holds the lock on the temporary file at `path` (false when
    /// the file is gone).
    public static func isHeld(_ path: String) -> Bool {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        if flock(fd, LOCK_EX | LOCK_NB) == 0 {
            flock(fd, LOCK_UN)
            return false
        }
        return true
    }

    /// Removes our temporary files in `directory` that nobody holds (their writer was killed);
    /// returns how many. Files of other users and anything not named like ours are left alone.
    @discardableResult
    public static func remove(in directory: URL) -> Int {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory.path) else { return 0 }
        var removed = 0
        for name in names {
            let creating = isTemporaryName(name, creating: true)
            guard creating || isTemporaryName(name) else { continue }
            let path = directory.appendingPathComponent(name).path
            let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)
            guard fd >= 0 else { continue }
            defer { close(fd) }
            var info = stat()
            guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG, info.st_uid == geteuid() else { continue }
            if creating && Date().timeIntervalSince1970 - Double(info.st_mtim.tv_sec) < creatingGrace { continue }
            // Unlink while holding the lock, so no writer can be starting on this very file.
            if flock(fd, LOCK_EX | LOCK_NB) == 0, unlink(path) == 0 { removed += 1 }
        }
        return removed
    }
}
