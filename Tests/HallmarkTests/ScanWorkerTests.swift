import Foundation
import Testing
@testable import Hallmark
import HallmarkRegistry

/// `hallmark scan` and `hallmark worker` as users run them: several worker processes on one
/// PostgreSQL registry, one of them killed with SIGKILL in the middle of a file.
@Suite(.serialized, .tags(.endToEnd))
struct ScanWorkerTests {
    static let postgresURL = ProcessInfo.processInfo.environment["HALLMARK_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }
    static let skipReason: Comment = "set HALLMARK_TEST_POSTGRES_URL (scripts/start-postgres.sh prints one) to run against a real server"

    let home = TestSupport.temporaryDirectory("scan-home")
    let work = TestSupport.temporaryDirectory("scan-work")

    /// `count` copies of the smallest 720p fixture (about a second of verify each), and a key in the home.
    func archive(_ count: Int) throws -> URL {
        _ = try WatermarkKeyStore.loadOrCreate(at: home.appendingPathComponent("watermark.key"))
        let directory = work.appendingPathComponent("archive")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for index in 0..<count {
            try FileManager.default.copyItem(at: TestSupport.fixture("bars-720p.mp4"), to: directory.appendingPathComponent("clip-\(index).mp4"))
        }
        return directory
    }

    /// A worker process in the background, its stderr in a file.
    func startWorker(_ registry: String, _ extra: [String]) throws -> Process {
        let process = Process()
        process.executableURL = try #require(TestSupport.hallmarkExecutable, "the hallmark executable was not built")
        process.arguments = ["worker", "--registry", registry, "--poll-interval", "0.2"] + extra
        var environment = ProcessInfo.processInfo.environment
        environment["HALLMARK_HOME"] = home.path
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        let log = work.appendingPathComponent("worker-\(UUID().uuidString.prefix(6)).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        process.standardError = try FileHandle(forWritingTo: log)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return process
    }

    func waitForExit(_ process: Process, timeout: Double = 120) {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    /// The file of every JSON line of `scan results`, checking each line is a report or an error.
    func resultFiles(_ stdout: String) throws -> [String] {
        try stdout.split(separator: "\n").map { line in
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            #expect(object["watermark"] != nil || object["error"] != nil, "\(line)")
            return try #require(object["file"] as? String)
        }
    }

    @Test(.enabled(if: postgresURL != nil, skipReason))
    func threeWorkersWriteExactlyOneResultPerFile() throws {
        let registry = try PostgresTestDatabase.create(from: Self.postgresURL!)
        let directory = try archive(5)
        try Data("not a video".utf8).write(to: directory.appendingPathComponent("broken.mp4"))
        let submit = try TestSupport.runHallmark(["scan", "submit", directory.path, "--registry", registry], home: home)
        #expect(submit.status == 0, "\(submit.stderr)")
        let scanId = submit.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(!scanId.isEmpty)

        let workers = try (0..<3).map { _ in try startWorker(registry, ["--jobs", "1", "--exit-when-idle"]) }
        workers.forEach { waitForExit($0) }
        #expect(workers.allSatisfy { $0.terminationReason == .exit && $0.terminationStatus == 0 })

        let status = try TestSupport.runHallmark(["scan", "status", scanId, "--registry", registry, "--format", "json"], home: home)
        let counts = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any])
        #expect(counts["files"] as? Int == 6 && counts["done"] as? Int == 5 && counts["failed"] as? Int == 1, "\(counts)")

        let results = try TestSupport.runHallmark(["scan", "results", scanId, "--registry", registry, "--format", "json"], home: home)
        #expect(results.status == 65, "one file failed: \(results.stderr)")
        let files = try resultFiles(results.stdout)
        #expect(files.count == 6)
        #expect(Set(files).count == 6)
        // The reports are verify's own: the same keys as `verify --format json`.
        let line = try #require(results.stdout.split(separator: "\n").first { $0.contains("clip-0.mp4") })
        let report = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(Set(report.keys) == ["analysisSeconds", "file", "manifest", "source", "tool", "trace", "video", "visibleWatermark", "watermark"])
        #expect((report["watermark"] as? [String: Any])?["checked"] as? Bool == true)
    }

    @Test(.enabled(if: postgresURL != nil, skipReason))
    func killedWorkersJobIsReclaimedAndDoneOnce() throws {
        let registry = try PostgresTestDatabase.create(from: Self.postgresURL!)
        let directory = try archive(4)
        let submit = try TestSupport.runHallmark(["scan", "submit", directory.path, "--registry", registry], home: home)
        let scanId = submit.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let queue = try PostgreSQLScanQueue(url: registry, create: false)

        let doomed = try startWorker(registry, ["--jobs", "1", "--lease", "2"])
        let deadline = Date().addingTimeInterval(60)
        while try queue.status(scanId: scanId)?.running != 1, Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        kill(doomed.processIdentifier, SIGKILL)
        doomed.waitUntilExit()
        #expect(doomed.terminationReason == .uncaughtSignal)
        let afterKill = try #require(try queue.status(scanId: scanId))
        #expect(afterKill.running == 1, "killed mid-file: its job is still marked running (\(afterKill))")

        let survivor = try startWorker(registry, ["--jobs", "1", "--lease", "2", "--exit-when-idle"])
        waitForExit(survivor)
        #expect(survivor.terminationStatus == 0)

        let results = try queue.results(scanId: scanId, afterOrdinal: -1, limit: 100)
        #expect(results.count == 4)
        #expect(Set(results.map(\.path)).count == 4)
        #expect(results.filter { $0.attempts == 2 }.count == 1, "the killed worker's file was claimed again: \(results.map(\.attempts))")
        #expect(results.allSatisfy { if case .report = $0.outcome { true } else { false } })
        #expect(try queue.status(scanId: scanId) == ScanStatus(scanId: scanId, files: 4, queued: 0, running: 0, done: 4, failed: 0, expiredLeases: 0))

        let cli = try TestSupport.runHallmark(["scan", "results", scanId, "--registry", registry], home: home)
        #expect(cli.status == 0, "\(cli.stderr)")
        #expect(try resultFiles(cli.stdout).count == 4)
    }

    @Test func scansNeedPostgreSQL() throws {
        let directory = try archive(1)
        let submit = try TestSupport.runHallmark(["scan", "submit", directory.path], home: home)
        #expect(submit.status == 78)
        #expect(submit.stderr.contains("PostgreSQL") && submit.stderr.split(separator: "\n").count == 1, "\(submit.stderr)")
        let missing = try TestSupport.runHallmark(["scan", "submit", work.appendingPathComponent("nothing.mp4").path], home: home)
        #expect(missing.status == 65, "\(missing.stderr)")
    }
}
