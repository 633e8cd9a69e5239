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
            let failures = Locked<[String]>([])
            let issued = Locked<[UInt64]>([])
            let group = DispatchGroup()

            for index in 0..<threads {
                group.enter()
                // All threads open (create and migrate) the file at the same moment.
                let thread = Thread {
                    defer { group.leave() }
                    do {
                        let registry = try SQLiteRegistry(path: path, create: true)
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
            group.wait()

            #expect(failures.withValue { $0 } == [])
            let registry = try SQLiteRegistry(path: path, create: false)
            #expect(try registry.count() == threads * perThread)
            let all = try registry.records(account: nil)
            #expect(all.count == threads * perThread)
            #expect(Set(all.map(\.markId)).count == threads * perThread)
            #expect(Set(all.map(\.markId)) == Set(issued.withValue { $0 }))
            for index in 0..<threads {
                #expect(try registry.records(account: "account-\(index)").count == perThread)
            }
            // Only one of the racing openers migrated.
            #expect(try registry.appliedMigrations().map(\.version) == [1, 2])
        }
    }

    @Test("one registry instance shared by several threads")
    func sharedInstance() throws {
        try withTemporaryDirectory { directory in
            let registry = try SQLiteRegistry(path: directory.appendingPathComponent("r.db").path, create: true)
            let failures = Locked<[String]>([])
            DispatchQueue.concurrentPerform(iterations: 4) { index in
                do {
                    for _ in 0..<100 {
                        let id = try registry.unusedMarkId()
                        try registry.insert(MarkRecord(markId: id, account: "t\(index)"))
                        _ = try registry.record(markId: id)
                        _ = try registry.count()
                    }
                } catch {
                    failures.withValue { $0.append("\(error)") }
                }
            }
            #expect(failures.withValue { $0 } == [])
            #expect(try registry.count() == 400)
        }
    }
}
