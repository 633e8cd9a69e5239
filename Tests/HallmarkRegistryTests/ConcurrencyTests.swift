import Foundation
import Testing
@testable import HallmarkRegistry

@Suite("Concurrent writers")
struct ConcurrencyTests {
    @Test("8 threads, each with its own registry on one fresh file, insert 200 records each")
    func separateInstances() throws {
        try withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("shared/registry.db").path
            let threads = 8, perThread = 200
            // All threads open (create and migrate) the file at the same moment.
            let outcome = writeConcurrently(threads: threads, perThread: perThread) {
                try SQLiteRegistry(path: path, create: true)
            }
            let registry = try SQLiteRegistry(path: path, create: false)
            try expectConcurrentWrites(outcome, in: registry, threads: threads, perThread: perThread)
            // Only one of the racing openers migrated.
            #expect(try registry.appliedMigrations().map(\.version) == Migrations.all.map(\.version))
        }
    }

    /// First use by many processes at once: each opener switches the new file to WAL, and SQLite
    /// answers SQLITE_BUSY at once (no busy wait) to an opener that could deadlock. CI saw one
    /// of 8 stamping processes fail so ("database is locked", 2026-12-04); openers now retry.
    @Test("8 threads open one fresh file at once, 40 times: every open succeeds")
    func racingFirstOpens() throws {
        try withTemporaryDirectory { directory in
            for round in 0..<40 {
                let path = directory.appendingPathComponent("race-\(round).db").path
                let outcome = writeConcurrently(threads: 8, perThread: 1) { try SQLiteRegistry(path: path, create: true) }
                #expect(outcome.failures.isEmpty, "round \(round): \(outcome.failures)")
            }
        }
    }

    @Test("one registry instance shared by several threads")
    func sharedInstance() throws {
        try withTemporaryDirectory { directory in
            let registry = try SQLiteRegistry(path: directory.appendingPathComponent("r.db").path, create: true)
            #expect(useFromSeveralThreads(registry, threads: 4, perThread: 100) == [])
            #expect(try registry.count() == 400)
        }
    }
}
