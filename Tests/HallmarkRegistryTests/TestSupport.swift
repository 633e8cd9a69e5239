import Foundation
import Testing
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

/// What `writeConcurrently` saw.
struct ConcurrentWriteOutcome {
    /// One line per thread that failed, empty when all succeeded.
    var failures: [String]
    /// Every id that was inserted successfully.
    var issued: [UInt64]
    /// Wall-clock time from the start signal until the last thread finished (opening included).
    var seconds: Double
}

/// Starts `threads` threads that each open their own registry with `open` at the same moment
/// (so fresh stores are created and migrated concurrently) and insert `perThread` records with
/// ids from `unusedMarkId()`, under the account "account-<thread>". Shared by the SQLite and
/// PostgreSQL concurrency tests.
func writeConcurrently(
    threads: Int, perThread: Int, open: @escaping @Sendable () throws -> any MarkRegistry
) -> ConcurrentWriteOutcome {
    let failures = Locked<[String]>([])
    let issued = Locked<[UInt64]>([])
    let started = DispatchGroup()
    let gate = DispatchGroup()
    let finished = DispatchGroup()
    gate.enter()
    for index in 0..<threads {
        started.enter()
        finished.enter()
        let thread = Thread {
            defer { finished.leave() }
            started.leave()
            gate.wait()
            do {
                let registry = try open()
                var mine: [UInt64] = []
                for n in 0..<perThread {
                    let id = try registry.unusedMarkId()
                    try registry.insert(MarkRecord(markId: id, account: "account-\(index)", clipLabel: "clip \(n)"))
                    mine.append(id)
                }
                issued.withValue { $0 += mine }
            } catch {
                failures.withValue { $0.append("thread \(index): \(error)") }
            }
        }
        thread.start()
    }
    started.wait()
    let start = DispatchTime.now()
    gate.leave()
    finished.wait()
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
    return ConcurrentWriteOutcome(
        failures: failures.withValue { $0 }, issued: issued.withValue { $0 }, seconds: seconds)
}

/// Checks that `registry` holds exactly what `writeConcurrently` reports having written.
func expectConcurrentWrites(
    _ outcome: ConcurrentWriteOutcome, in registry: any MarkRegistry, threads: Int, perThread: Int,
    sourceLocation: SourceLocation = #_sourceLocation
) throws {
    #expect(outcome.failures == [], sourceLocation: sourceLocation)
    #expect(try registry.count() == threads * perThread, sourceLocation: sourceLocation)
    let all = try registry.records(account: nil)
    #expect(all.count == threads * perThread, sourceLocation: sourceLocation)
    #expect(Set(all.map(\.markId)).count == threads * perThread, sourceLocation: sourceLocation)
    #expect(Set(all.map(\.markId)) == Set(outcome.issued), sourceLocation: sourceLocation)
    for index in 0..<threads {
        #expect(try registry.records(account: "account-\(index)").count == perThread, sourceLocation: sourceLocation)
    }
}

/// Inserts, reads and counts through one shared `registry` from `threads` threads at once;
/// returns the failures (one line each).
func useFromSeveralThreads(_ registry: any MarkRegistry, threads: Int, perThread: Int) -> [String] {
    let failures = Locked<[String]>([])
    DispatchQueue.concurrentPerform(iterations: threads) { index in
        do {
            for _ in 0..<perThread {
                let id = try registry.unusedMarkId()
                try registry.insert(MarkRecord(markId: id, account: "t\(index)"))
                _ = try registry.record(markId: id)
                _ = try registry.count()
            }
        } catch {
            failures.withValue { $0.append("thread \(index): \(error)") }
        }
    }
    return failures.withValue { $0 }
}
