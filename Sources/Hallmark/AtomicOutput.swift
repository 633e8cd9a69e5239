import Foundation

/// A file written under a temporary name beside its destination and renamed into place only
/// when complete, so a failure or Ctrl-C never leaves a partial output.
public final class AtomicOutput {
    public let destination: URL
    public let temporary: URL
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
        guard FileManager.default.isWritableFile(atPath: directory.path) else {
            throw HallmarkError(.cannotWrite, "cannot write \(destination.path): directory is not writable")
        }
        self.destination = destination
        let ext = destination.pathExtension.isEmpty ? "" : ".\(destination.pathExtension)"
        let name = ".\(destination.deletingPathExtension().lastPathComponent).hallmark-\(UUID().uuidString.prefix(8))\(ext)"
        self.temporary = directory.appendingPathComponent(name)
        Self.register(temporary)
    }

    deinit {
        if !committed { try? FileManager.default.removeItem(at: temporary) }
        Self.unregister(temporary)
    }

    /// Renames the temporary file over the destination.
    public func commit() throws {
        guard rename(temporary.path, destination.path) == 0 else {
            throw HallmarkError(.cannotWrite, "cannot move the output into place at \(destination.path): \(String(cString: strerror(errno)))")
        }
        committed = true
    }

    /// Removes the temporary file now.
    public func discard() {
        try? FileManager.default.removeItem(at: temporary)
    }

    static func sameFile(_ a: URL, _ b: URL) -> Bool {
        if a.standardizedFileURL.resolvingSymlinksInPath().path == b.standardizedFileURL.resolvingSymlinksInPath().path { return true }
        var sa = stat(), sb = stat()
        guard stat(a.path, &sa) == 0, stat(b.path, &sb) == 0 else { return false }
        return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino
    }

    // Temporary files still open, removed by `removeAllPending()` from a signal handler's path.
    nonisolated(unsafe) private static var pending = Set<String>()
    private static let lock = NSLock()
    private static func register(_ url: URL) { lock.lock(); pending.insert(url.path); lock.unlock() }
    private static func unregister(_ url: URL) { lock.lock(); pending.remove(url.path); lock.unlock() }

    /// Deletes every temporary output not yet committed (for an interrupt that exits at once).
    public static func removeAllPending() {
        lock.lock()
        let paths = pending
        lock.unlock()
        for path in paths { unlink(path) }
    }
}
