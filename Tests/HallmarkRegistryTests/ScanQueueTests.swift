import Foundation
import Synchronization
import Testing
@testable import HallmarkRegistry

@Suite("Scan queue (PostgreSQL)", .enabled(if: PostgresTestServer.isConfigured, PostgresTestServer.skipReason))
struct ScanQueueTests {
    static func token() -> String { UUID().uuidString.lowercased() }

    @Test("submit, claim, complete: counts and results follow, in submission order")
    func submitClaimComplete() throws {
        try PostgresTestServer.withTemporaryDatabase { url in
            let queue = try PostgreSQLScanQueue(url: url, create: true)
            let scan = try queue.submit(paths: ["/a.mp4", "/b.mp4", "/c.mp4"])
            #expect(try queue.status(scanId: scan) == ScanStatus(scanId: scan, files: 3, queued: 3, running: 0, done: 0, failed: 0, expiredLeases: 0))
            #expect(try queue.hasOpenJobs())

            let first = try #require(try queue.claim(token: Self.token(), worker: "w1", lease: 30, maxAttempts: 5))
            let second = try #require(try queue.claim(token: Self.token(), worker: "w1", lease: 30, maxAttempts: 5))
            #expect(first.path == "/a.mp4" && first.attempts == 1 && first.scanId == scan)
            #expect(second.path == "/b.mp4")
            #expect(try queue.status(scanId: scan)?.running == 2)
            #expect(try queue.renew(first, lease: 30))

            #expect(try queue.complete(second, outcome: .failed("not a video")))
            #expect(try queue.complete(first, outcome: .report(#"{"file":"/a.mp4"}"#)))
            // Completing twice changes nothing (and reads as success: it is this claim's result).
            #expect(try queue.complete(first, outcome: .report(#"{"file":"other"}"#)))
            #expect(try !queue.renew(first, lease: 30))

            let third = try #require(try queue.claim(token: Self.token(), worker: "w2", lease: 30, maxAttempts: 5))
            #expect(try queue.claim(token: Self.token(), worker: "w2", lease: 30, maxAttempts: 5) == nil)
            #expect(try queue.results(scanId: scan, afterOrdinal: -1, limit: 10).map(\.path) == ["/a.mp4", "/b.mp4"])
            #expect(try queue.complete(third, outcome: .report("{}")))

            let results = try queue.results(scanId: scan, afterOrdinal: -1, limit: 10)
            #expect(results.map(\.outcome) == [.report(#"{"file":"/a.mp4"}"#), .failed("not a video"), .report("{}")])
            #expect(try queue.results(scanId: scan, afterOrdinal: 0, limit: 1).map(\.path) == ["/b.mp4"])
            #expect(try queue.status(scanId: scan) == ScanStatus(scanId: scan, files: 3, queued: 0, running: 0, done: 2, failed: 1, expiredLeases: 0))
            #expect(try queue.status(scanId: scan)?.finished == true)
            #expect(try !queue.hasOpenJobs())
            #expect(try queue.status(scanId: "no-such-scan") == nil)
            #expect(throws: RegistryError.self) { try queue.submit(paths: []) }
        }
    }

    @Test("an expired lease can be neither renewed nor completed; the job is claimed again and ends once")
    func expiredLease() throws {
        try PostgresTestServer.withTemporaryDatabase { url in
            let queue = try PostgreSQLScanQueue(url: url, create: true)
            let scan = try queue.submit(paths: ["/slow.mp4"])
            let late = try #require(try queue.claim(token: Self.token(), worker: "late", lease: 0.2, maxAttempts: 5))
            // Not claimable while the lease runs.
            #expect(try queue.claim(token: Self.token(), worker: "other", lease: 30, maxAttempts: 5) == nil)
            Thread.sleep(forTimeInterval: 0.4)
            #expect(try queue.status(scanId: scan)?.expiredLeases == 1)
            #expect(try !queue.renew(late, lease: 30))
            #expect(try !queue.complete(late, outcome: .report("late")))

            let fresh = try #require(try queue.claim(token: Self.token(), worker: "fresh", lease: 30, maxAttempts: 5))
            #expect(fresh.jobId == late.jobId && fresh.attempts == 2)
            #expect(try !queue.complete(late, outcome: .report("late")))
            #expect(try queue.complete(fresh, outcome: .report("fresh")))
            #expect(try !queue.complete(late, outcome: .report("late")))
            let results = try queue.results(scanId: scan, afterOrdinal: -1, limit: 10)
            #expect(results.map(\.outcome) == [.report("fresh")])
            #expect(results.first?.attempts == 2)
        }
    }

    @Test("a retried claim returns the job its token holds; a released job is claimable at once")
    func retriedClaimAndRelease() throws {
        try PostgresTestServer.withTemporaryDatabase { url in
            let queue = try PostgreSQLScanQueue(url: url, create: true)
            _ = try queue.submit(paths: ["/x.mp4", "/y.mp4"])
            let token = Self.token()
            let job = try #require(try queue.claim(token: token, worker: "w", lease: 30, maxAttempts: 5))
            #expect(try queue.claim(token: token, worker: "w", lease: 30, maxAttempts: 5) == job)
            try queue.release(job)
            let again = try #require(try queue.claim(token: Self.token(), worker: "w", lease: 30, maxAttempts: 5))
            #expect(again.jobId == job.jobId && again.attempts == 1)
            #expect(try !queue.complete(job, outcome: .report("stale")))
        }
    }

    @Test("a file whose workers keep dying is failed after maxAttempts claims")
    func poisonFileGivesUp() throws {
        try PostgresTestServer.withTemporaryDatabase { url in
            let queue = try PostgreSQLScanQueue(url: url, create: true)
            let scan = try queue.submit(paths: ["/poison.mp4"])
            for attempt in 1...3 {
                let job = try #require(try queue.claim(token: Self.token(), worker: "w", lease: 0.05, maxAttempts: 3))
                #expect(job.attempts == attempt)
                Thread.sleep(forTimeInterval: 0.1)
            }
            #expect(try queue.claim(token: Self.token(), worker: "w", lease: 30, maxAttempts: 3) == nil)
            let result = try #require(try queue.results(scanId: scan, afterOrdinal: -1, limit: 10).first)
            guard case .failed(let message) = result.outcome else { Issue.record("not failed: \(result)"); return }
            #expect(message.contains("given up after 3 claims"))
        }
    }

    @Test("concurrent workers (one connection each) take every job exactly once")
    func concurrentClaims() async throws {
        let url = try #require(PostgresTestServer.url)
        let name = "hallmark_t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        let maintenance = try PostgresConnection(url: url)
        try maintenance.query("CREATE DATABASE \"\(name)\"")
        defer { _ = try? maintenance.query("DROP DATABASE IF EXISTS \"\(name)\" WITH (FORCE)") }
        let database = try PostgresTestServer.url(url, withDatabase: name)

        let files = (0..<120).map { "/archive/\($0).mp4" }
        let scan = try PostgreSQLScanQueue(url: database, create: true).submit(paths: files)
        let claimed = try await withThrowingTaskGroup(of: [Int64].self) { group in
            for worker in 0..<4 {
                group.addTask {
                    let queue = try PostgreSQLScanQueue(url: database, create: false)
                    var mine: [Int64] = []
                    while let job = try queue.claim(token: Self.token(), worker: "w\(worker)", lease: 30, maxAttempts: 5) {
                        #expect(try queue.complete(job, outcome: .report("{\"w\":\(worker)}")))
                        mine.append(job.jobId)
                    }
                    return mine
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        #expect(claimed.count == files.count)
        #expect(Set(claimed).count == files.count)
        let queue = try PostgreSQLScanQueue(url: database, create: false)
        let results = try queue.results(scanId: scan, afterOrdinal: -1, limit: 1000)
        #expect(results.map(\.path) == files)
        #expect(results.allSatisfy { $0.attempts == 1 })
    }

    @Test("scans on SQLite are refused with a sentence saying why")
    func sqliteRefused() throws {
        #expect(throws: RegistryError.self) { try RegistryLocation.sqlite(path: "/tmp/none.sqlite").openScanQueue(create: false) }
        do { _ = try RegistryLocation.sqlite(path: "/tmp/none.sqlite").openScanQueue(create: false) } catch {
            #expect("\(error)".contains("PostgreSQL"))
        }
    }
}
