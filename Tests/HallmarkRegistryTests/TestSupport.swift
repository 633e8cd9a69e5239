import Foundation
@testable import HallmarkRegistry

/// Runs `body` with a fresh directory under the system temporary directory, removed afterwards.
func withTemporaryDirectory<T>(_ body: (URL) throws -> T) throws -> T {
    let directory = FileManager.default.temporaryDirectory
        .appendingPathComponent("hallmark-registry-tests-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    return try body(directory)
}

/// The POSIX permission bits of the file or directory at `path`.
func permissions(_ path: String) throws -> Int {
    let attributes = try FileManager.default.attributesOfItem(atPath: path)
    return (attributes[.posixPermissions] as? NSNumber)?.intValue ?? -1
}

/// A value shared by test threads.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value
    init(_ value: Value) { self.value = value }
    func withValue<T>(_ body: (inout Value) -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body(&value)
    }
}

/// Runs raw SQL (test fixtures only) on a database file that already exists.
func executeRaw(_ sql: String, at path: String) throws {
    let connection = try SQLiteConnection(path: path, busyTimeoutMilliseconds: 1_000)
    try connection.execute(sql)
}

func sampleRecord(_ markId: UInt64, account: String = "alice@example.com", createdAt: Date = Date()) -> MarkRecord {
    MarkRecord(markId: markId, account: account, clipLabel: "clip \(markId)", createdAt: createdAt)
}
