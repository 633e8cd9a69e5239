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

    @Test("one registry instance shared by several threads")
    func sharedInstance() throws {
        try withTemporaryDirectory { directory in
            let registry = try SQLiteRegistry(path: directory.appendingPathComponent("r.db").path, create: true)
            #expect(useFromSeveralThreads(registry, threads: 4, perThread: 100) == [])
            #expect(try registry.count() == 400)
        }
    }
}
