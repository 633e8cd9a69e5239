import Foundation
import Testing
@testable import Hallmark
@testable import HallmarkCLI
import HallmarkMedia
import HallmarkRegistry
import HallmarkSignal

/// Hostile inputs and faults at the worst moments: no crash, nothing lost, never an output
/// without its registry record. Each test is one row of the hostile-files issue (F1 ... F14).
@Suite(.serialized, .tags(.endToEnd))
struct FaultTests {
    let home = TestSupport.temporaryDirectory("fault-home")
    let work = TestSupport.temporaryDirectory("fault-work")

    func files(in directory: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).sorted()
    }

    func temporaries(in directory: URL) -> [String] {
        files(in: directory).filter { $0.contains(".hallmark-") }
    }

    func stamp(_ input: URL, to output: URL, account: String = "a", environment: [String: String] = [:],
               extra: [String] = []) throws -> TestSupport.Run {
        try TestSupport.runHallmark(["stamp", input.path, "-o", output.path, "--account", account, "--preset", "ultrafast"] + extra,
                                    home: home, environment: environment)
    }

    func registryRows() throws -> [[String: Any]] {
        let list = try TestSupport.runHallmark(["registry", "list", "--format", "json"], home: home)
        #expect(list.status == 0, "\(list.stderr)")
        return try #require(try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [[String: Any]])
    }

    /// F1: a stamped clip whose video cannot be decoded (its `stco` renamed) still has a
    /// manifest; verify used to exit while the manifest was validated on another thread and crash
    /// (SIGSEGV/SIGILL in about a quarter of the runs). Now: exit 65 every time.
    @Test func undecodableVideoWithAManifestNeverCrashes() throws {
        let stamped = work.appendingPathComponent("stamped.mp4")
        #expect(try stamp(TestSupport.fixture("motion-540p.mp4"), to: stamped).status == 0)
        var bytes = [UInt8](try Data(contentsOf: stamped))
        // Every chunk-offset table renamed: no track can find its samples.
        var renamed = 0
        for i in 0..<(bytes.count - 4) where bytes[i..<(i + 4)].elementsEqual("stco".utf8) {
            bytes.replaceSubrange(i..<(i + 4), with: Array("free".utf8))
            renamed += 1
        }
        #expect(renamed >= 1)
        let broken = work.appendingPathComponent("broken.mp4")
        try Data(bytes).write(to: broken)
        var statuses: [Int32: Int] = [:]
        for _ in 0..<20 {
            let run = try TestSupport.runHallmark(["verify", broken.path], home: home, timeout: 60)
            #expect(!run.signalled && !run.timedOut, "verify crashed: signal \(run.status)\n\(run.stderr.prefix(400))")
            statuses[run.status, default: 0] += 1
        }
        #expect(statuses == [65: 20], "exit codes: \(statuses)")
        // The JSON report of a failure is on stdout too.
        let json = try TestSupport.runHallmark(["verify", broken.path, "--format", "json"], home: home)
        let line = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(line["file"] as? String == broken.path)
        #expect(line["error"] is String)
    }

    /// F2: a second stamp onto an existing output whose registry write fails must leave the
    /// existing (registered) clip alone. It used to delete it.
    @Test func registryFailureLeavesTheExistingOutputAlone() throws {
        let registry = try SQLiteRegistry(path: home.appendingPathComponent("registry.sqlite").path, create: true)
        let key = WatermarkKey.generate()
        let output = work.appendingPathComponent("clip.mp4")
        let request = StampRequest(input: TestSupport.fixture("bars-720p.mp4"), output: output, account: "first",
                                   encoder: .h264(crf: 23, preset: "ultrafast"), signing: .none)
        let first = try Stamper(key: key, registry: registry).stamp(request)
        let before = try Data(contentsOf: output)

        let failing = Stamper(key: key, registry: FailingRegistry(wrapping: registry, failing: [.insert]))
        var second = request
        second.account = "second"
        #expect(throws: HallmarkError.self) { try failing.stamp(second) }
        #expect(try Data(contentsOf: output) == before, "the existing output was changed")
        #expect(temporaries(in: work).isEmpty, "left behind: \(temporaries(in: work))")
        #expect(try registry.count() == 1)
        #expect(try registry.record(markId: first.markId)?.delivery == .delivered)
    }

    /// F3: killed right after the output was renamed into place. The record was written before
    /// (pending), so the clip is never untraceable; the next run settles it as delivered.
    @Test func killedAfterTheRenameLeavesATraceableOutput() throws {
        let output = work.appendingPathComponent("killed-after.mp4")
        let run = try stamp(TestSupport.fixture("bars-720p.mp4"), to: output, account: "kim",
                            environment: ["HALLMARK_FAILPOINT": "stamp.after-rename"])
        #expect(run.signalled && run.status == SIGKILL, "the failpoint did not fire: \(run.status) \(run.stderr)")
        #expect(FileManager.default.fileExists(atPath: output.path))
        let rows = try registryRows()
        #expect(rows.count == 1)
        #expect(rows.first?["account"] as? String == "kim")
        #expect(rows.first?["delivery"] as? String == "delivered", "\(rows)")
        let trace = try TestSupport.runHallmark(["trace", output.path, "--format", "json"], home: home)
        let report = try #require(try JSONSerialization.jsonObject(with: Data(trace.stdout.utf8)) as? [String: Any])
        #expect((report["trace"] as? [String: Any])?["account"] as? String == "kim")
    }

    /// F3 and F7: killed after the record and before the rename: no output appears, the record is
    /// settled as not delivered, and the temporary file the killed process left is removed by the
    /// next stamp into that folder.
    @Test func killedBeforeTheRenameLeavesNothingDelivered() throws {
        let output = work.appendingPathComponent("killed-before.mp4")
        let run = try stamp(TestSupport.fixture("bars-720p.mp4"), to: output, account: "lee",
                            environment: ["HALLMARK_FAILPOINT": "stamp.before-rename"])
        #expect(run.signalled && run.status == SIGKILL)
        #expect(!FileManager.default.fileExists(atPath: output.path))
        #expect(temporaries(in: work).count == 1, "the killed stamp's temporary file: \(files(in: work))")
        let next = try stamp(TestSupport.fixture("bars-720p.mp4"), to: work.appendingPathComponent("next.mp4"), account: "max")
        #expect(next.status == 0, "\(next.stderr)")
        #expect(temporaries(in: work).isEmpty, "left behind: \(temporaries(in: work))")
        let rows = try registryRows()
        #expect(rows.first { $0["account"] as? String == "lee" }?["delivery"] as? String == "not-delivered", "\(rows)")
        #expect(rows.first { $0["account"] as? String == "max" }?["delivery"] as? String == "delivered", "\(rows)")
    }

    /// F7: stamps killed with SIGKILL in the middle of the encode leave temporary files; the next
    /// stamp into the same folder removes every one of them (and none of another live stamp's).
    @Test func killedStampsAreCleanedUpByTheNextOne() throws {
        let processes = try (0..<3).map { index -> Process in
            let process = Process()
            process.executableURL = try #require(TestSupport.hallmarkExecutable)
            process.arguments = ["stamp", TestSupport.fixture("testsrc-720p.mp4").path, "-o", work.appendingPathComponent("k\(index).mp4").path,
                                 "--account", "k", "--preset", "placebo"]
            process.environment = ProcessInfo.processInfo.environment.merging(["HALLMARK_HOME": home.path]) { $1 }
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            return process
        }
        // All three are encoding (each has its locked temporary file), then all are killed.
        let deadline = Date().addingTimeInterval(60)
        while temporaries(in: work).filter({ StaleTemporaries.isTemporaryName($0) }).count < 3, Date() < deadline {
            Thread.sleep(forTimeInterval: 0.05)
        }
        for process in processes { kill(process.processIdentifier, SIGKILL) }
        for process in processes { process.waitUntilExit() }
        #expect(temporaries(in: work).count >= 3, "\(files(in: work))")  // output and scratch files
        // A live stamp's temporary file survives another stamp's cleaning.
        let live = try AtomicOutput(destination: work.appendingPathComponent("live.mp4"))
        #expect(try stamp(TestSupport.fixture("bars-720p.mp4"), to: work.appendingPathComponent("after.mp4")).status == 0)
        #expect(temporaries(in: work) == [live.temporary.lastPathComponent], "\(files(in: work))")
        live.discard()
        #expect(files(in: work) == ["after.mp4"])
    }

    /// F4: six stamps at once on a fresh home: every one succeeds, and they share one watermark
    /// key and one development PKI (the losers of the race read the winner's keys).
    @Test func concurrentFirstUseOfAFreshHome() throws {
        let processes = try (0..<6).map { index -> Process in
            let process = Process()
            process.executableURL = try #require(TestSupport.hallmarkExecutable)
            process.arguments = ["stamp", TestSupport.fixture("bars-720p.mp4").path, "-o", work.appendingPathComponent("c\(index).mp4").path,
                                 "--account", "c\(index)", "--preset", "ultrafast"]
            process.environment = ProcessInfo.processInfo.environment.merging(["HALLMARK_HOME": home.path]) { $1 }
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            return process
        }
        for process in processes { try process.run() }
        for process in processes { process.waitUntilExit() }
        #expect(processes.map(\.terminationStatus) == Array(repeating: 0, count: 6))
        #expect(files(in: home.appendingPathComponent("keys")) == ["intermediate.key", "intermediate.pem", "root-ca.key", "root-ca.pem", "signer.key", "signer.pem"])
        #expect(files(in: home).filter { !$0.hasPrefix("registry.sqlite") } == ["keys", "watermark.key"])
        #expect(try registryRows().count == 6)
        // Every copy reads with the one key and verifies against the one root.
        for index in [0, 5] {
            let report = try TestSupport.runHallmark(["verify", work.appendingPathComponent("c\(index).mp4").path, "--format", "json", "--trust-dev-root"], home: home)
            let json = try #require(try JSONSerialization.jsonObject(with: Data(report.stdout.utf8)) as? [String: Any])
            #expect((json["trace"] as? [String: Any])?["account"] as? String == "c\(index)")
            #expect((json["manifest"] as? [String: Any])?["validationState"] as? String == "Trusted")
        }
    }

    /// F5: an input that grows while it is stamped (a file still being copied) is refused with 65,
    /// with no output and no record. (A truncated input: `CommandLineTests.badInputsFailCleanly`.)
    @Test func growingInputIsRefused() throws {
        let input = work.appendingPathComponent("growing.mp4")
        try FileManager.default.copyItem(at: TestSupport.fixture("testsrc-720p.mp4"), to: input)
        let output = work.appendingPathComponent("grown.mp4")
        let process = Process()
        process.executableURL = try #require(TestSupport.hallmarkExecutable)
        process.arguments = ["stamp", input.path, "-o", output.path, "--account", "g", "--preset", "veryslow"]
        process.environment = ProcessInfo.processInfo.environment.merging(["HALLMARK_HOME": home.path]) { $1 }
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        // Once the stamp is under way, the "copy" goes on: bytes are appended to the input.
        let deadline = Date().addingTimeInterval(60)
        while process.isRunning, !files(in: work).contains(where: { $0.hasPrefix(".grown.hallmark-") }), Date() < deadline {
            Thread.sleep(forTimeInterval: 0.05)
        }
        let handle = try FileHandle(forWritingTo: input)
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(repeating: 0, count: 4096))
        try handle.close()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 65, "\(message)")
        #expect(message.contains("changed while it was read"), "\(message)")
        #expect(!FileManager.default.fileExists(atPath: output.path))
        #expect(temporaries(in: work).isEmpty)
        #expect(try registryRows().isEmpty)
    }

    /// F6: a FIFO given as input blocked `sign` forever (and would block stamp and verify).
    @Test func fifoInputIsRefusedAtOnce() throws {
        let fifo = work.appendingPathComponent("pipe.mp4")
        #expect(mkfifo(fifo.path, 0o600) == 0)
        for arguments in [["sign", fifo.path, "-o", work.appendingPathComponent("s.mp4").path],
                          ["stamp", fifo.path, "-o", work.appendingPathComponent("t.mp4").path, "--account", "a"],
                          ["verify", fifo.path], ["trace", fifo.path]] {
            let run = try TestSupport.runHallmark(arguments, home: home, timeout: 20)
            #expect(!run.timedOut, "\(arguments[0]) blocked on the FIFO")
            #expect(run.status == 65, "\(arguments[0]): \(run.status) \(run.stderr)")
            #expect(run.stderr.contains("FIFO"), "\(run.stderr)")
        }
    }

    /// F10: a registry that cannot be counted or read is an error (78), never "0 marks" (which
    /// would understate the false-attribution probability) or "not issued".
    @Test func registryErrorsAreErrorsNotZeroMarks() async throws {
        let registry = try SQLiteRegistry(path: home.appendingPathComponent("registry.sqlite").path, create: true)
        let key = WatermarkKey.generate()
        let output = work.appendingPathComponent("r.mp4")
        let stamped = try Stamper(key: key, registry: registry).stamp(StampRequest(
            input: TestSupport.fixture("bars-720p.mp4"), output: output, account: "ruth",
            encoder: .h264(crf: 23, preset: "ultrafast"), signing: .none))
        for failure in [FailingRegistry.Operation.count, .lookup] {
            let verifier = Verifier(key: key, registry: FailingRegistry(wrapping: registry, failing: [failure]))
            await #expect(throws: HallmarkError.self) { _ = try await verifier.verify(output) }
            do {
                _ = try await verifier.verify(output)
            } catch let error as HallmarkError {
                #expect(error.kind == .configuration, "\(error)")
                #expect(error.message.hasPrefix("registry:"), "\(error)")
            }
        }
        let working = try await Verifier(key: key, registry: registry).verify(output)
        #expect(working.trace.account == "ruth")
        #expect(working.trace.registryMarks == 1)
        #expect(working.watermark.markId == stamped.markIdHex)
    }

    /// F11: timestamps near 2^63 seconds' worth of ticks used to trap when turned into window
    /// indices; such a clip is analysed like any other.
    @Test(.enabled(if: TestSupport.hasFFmpegCLI, "needs the ffmpeg CLI to write hostile timestamps"))
    func absurdTimestampsDoNotTrap() throws {
        #expect(try TestSupport.runHallmark(["keys", "init"], home: home).status == 0)
        let clip = work.appendingPathComponent("far.mkv")
        // Matroska stores milliseconds: an offset of 9e15 s is beyond any window index.
        #expect(try TestSupport.ffmpeg(["-f", "lavfi", "-i", "testsrc=size=320x240:rate=10:duration=1", "-output_ts_offset", "9000000000000",
                                        "-c:v", "libx264", "-preset", "ultrafast", clip.path]) == 0)
        let run = try TestSupport.runHallmark(["verify", clip.path, "--format", "json"], home: home)
        #expect(!run.signalled, "verify crashed: \(run.stderr.prefix(300))")
        #expect([0, 65].contains(run.status), "\(run.status) \(run.stderr)")
    }

    /// F15: two bit flips in the sample tables of Fixtures/bars-720p.mp4 (found by
    /// scripts/mutate-media.py, seed 2) give two frames the same timestamp; the muxer refused the
    /// encoded frame and stamp reported "cannot write to the output" (exit 73, an output error).
    /// Now the frame takes the next tick and the stamp succeeds, with a warning.
    @Test func repeatedFrameTimestampsAreRepaired() throws {
        var bytes = [UInt8](try Data(contentsOf: TestSupport.fixture("bars-720p.mp4")))
        bytes[1118] ^= 0x10
        bytes[5590] ^= 0x02
        let damaged = work.appendingPathComponent("repeated-timestamps.mp4")
        try Data(bytes).write(to: damaged)
        let output = work.appendingPathComponent("repaired.mp4")
        let run = try stamp(damaged, to: output, extra: ["--no-manifest"])
        #expect(run.status == 0, "\(run.status) \(run.stderr)")
        #expect(run.stderr.contains("did not increase"), "\(run.stderr)")
        #expect(FileManager.default.fileExists(atPath: output.path))
    }

    /// F12: audio without limit before the first video frame used to be buffered in memory.
    @Test(.enabled(if: TestSupport.hasFFmpegCLI, "needs the ffmpeg CLI"))
    func audioBeforeVideoIsBounded() throws {
        let clip = work.appendingPathComponent("late-video.mkv")
        // 100 s of PCM (19 MB) interleaved before a video that starts at 100 s.
        #expect(try TestSupport.ffmpeg(["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=101",
                                        "-itsoffset", "100", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=10:duration=1",
                                        "-map", "0:a", "-map", "1:v", "-ac", "2", "-c:a", "pcm_s16le", "-c:v", "libx264", "-preset", "ultrafast", clip.path]) == 0)
        let run = try stamp(clip, to: work.appendingPathComponent("late.mkv"), extra: ["--no-manifest"])
        #expect(run.status == 65, "\(run.status) \(run.stderr)")
        #expect(run.stderr.contains("audio before the first video frame"), "\(run.stderr)")
    }

    /// F14: a still image is not a video; a directory named like a video is not a clean scan.
    @Test func stillImagesAndEmptyDirectoriesAreRefused() throws {
        let png = try stamp(TestSupport.fixture("logo.png"), to: work.appendingPathComponent("logo.mp4"))
        #expect(png.status == 65 && png.stderr.contains("still image"), "\(png.status) \(png.stderr)")
        #expect(!FileManager.default.fileExists(atPath: work.appendingPathComponent("logo.mp4").path))
        let directory = work.appendingPathComponent("x.mp4")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let verify = try TestSupport.runHallmark(["verify", directory.path, "--format", "json"], home: home)
        #expect(verify.status == 65)
        let line = try #require(try JSONSerialization.jsonObject(with: Data(verify.stdout.utf8)) as? [String: Any])
        #expect((line["error"] as? String)?.contains("no video files") == true)
        let stampDirectory = try stamp(directory, to: work.appendingPathComponent("d.mp4"))
        #expect(stampDirectory.status == 65 && stampDirectory.stderr.contains("directory"))
    }
}

/// A registry that fails the chosen operations, for fault tests.
struct FailingRegistry: MarkRegistry {
    enum Operation: Sendable { case insert, count, lookup }
    struct InjectedFailure: Error, CustomStringConvertible { var description: String { "injected failure" } }

    let wrapping: any MarkRegistry
    let failing: Set<Operation>

    func fail(_ operation: Operation) throws { if failing.contains(operation) { throw InjectedFailure() } }

    func insert(_ record: MarkRecord) throws { try fail(.insert); try wrapping.insert(record) }
    func record(markId: UInt64) throws -> MarkRecord? { try fail(.lookup); return try wrapping.record(markId: markId) }
    func contains(markId: UInt64) throws -> Bool { try wrapping.contains(markId: markId) }
    func count() throws -> Int { try fail(.count); return try wrapping.count() }
    func records(account: String?) throws -> [MarkRecord] { try wrapping.records(account: account) }
    func setDelivery(markId: UInt64, to delivery: MarkRecord.Delivery) throws { try wrapping.setDelivery(markId: markId, to: delivery) }
    func pendingRecords() throws -> [MarkRecord] { try wrapping.pendingRecords() }
    func records(sourceId: String) throws -> [MarkRecord] { try wrapping.records(sourceId: sourceId) }
    func markIds() throws -> [UInt64] { try fail(.count); return try wrapping.markIds() }
    func unusedMarkId() throws -> UInt64 { try wrapping.unusedMarkId() }
    func record(manifestLabel label: String) throws -> MarkRecord? { try fail(.lookup); return try wrapping.record(manifestLabel: label) }
    func recordsWithoutManifestLabel(limit: Int) throws -> [MarkRecord] { try wrapping.recordsWithoutManifestLabel(limit: limit) }
    func setManifestLabels(_ labels: [UInt64: String]) throws { try wrapping.setManifestLabels(labels) }
}
