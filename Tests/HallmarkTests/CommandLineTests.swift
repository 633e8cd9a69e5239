import Foundation
import Testing

/// The `hallmark` executable run as a user runs it: output, exit codes, files left behind.
@Suite(.serialized, .tags(.endToEnd))
struct CommandLineTests {
    typealias Run = TestSupport.Run

    /// The built `hallmark` next to the test bundle.
    static var executable: URL? { TestSupport.hallmarkExecutable }

    static func run(_ arguments: [String], home: URL) throws -> Run {
        try TestSupport.runHallmark(arguments, home: home)
    }

    let home = TestSupport.temporaryDirectory("cli-home")
    let work = TestSupport.temporaryDirectory("cli-work")
    var bars: String { TestSupport.fixture("bars-720p.mp4").path }

    func files(in directory: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).sorted()
    }

    @Test func stampThenVerifyEndToEnd() throws {
        let output = work.appendingPathComponent("out.mp4").path
        let stamp = try Self.run(["stamp", bars, "-o", output, "--account", "alice", "--label", "first", "--preset", "veryfast"], home: home)
        #expect(stamp.status == 0, "\(stamp.stderr)")
        let markId = stamp.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(markId.count == 16 && markId.allSatisfy { $0.isHexDigit && !$0.isUppercase })

        let verify = try Self.run(["verify", output, "--format", "json"], home: home)
        #expect(verify.status == 0, "\(verify.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(verify.stdout.utf8)) as? [String: Any])
        let watermark = try #require(json["watermark"] as? [String: Any])
        #expect(watermark["checked"] as? Bool == true)
        #expect(watermark["detected"] as? Bool == true)
        #expect(watermark["markId"] as? String == markId)
        #expect((watermark["pValue"] as? Double).map { $0 <= 1e-9 } == true)
        #expect((watermark["framesAnalyzed"] as? Int).map { $0 > 0 } == true)
        let visible = try #require(json["visibleWatermark"] as? [String: Any])
        #expect(visible["detected"] as? Bool == true)
        let trace = try #require(json["trace"] as? [String: Any])
        #expect(trace["account"] as? String == "alice")
        #expect(trace["falseAttributionProbability"] is Double)

        let text = try Self.run(["verify", output], home: home)
        #expect(text.status == 0 && text.stdout.contains("DETECTED") && text.stdout.contains("alice"))

        let report = work.appendingPathComponent("report.html")
        let html = try Self.run(["verify", output, "--format", "html", "-o", report.path], home: home)
        #expect(html.status == 0)
        #expect((try? String(contentsOf: report, encoding: .utf8))?.contains("alice") == true)
    }

    @Test func unmarkedClipVerifiesWithExitZeroAndNulls() throws {
        _ = try Self.run(["stamp", bars, "-o", work.appendingPathComponent("x.mp4").path, "--account", "a", "--preset", "ultrafast"], home: home)
        let verify = try Self.run(["verify", TestSupport.fixture("motion-540p.mp4").path, "--format", "json"], home: home)
        #expect(verify.status == 0)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(verify.stdout.utf8)) as? [String: Any])
        let watermark = try #require(json["watermark"] as? [String: Any])
        #expect(watermark["detected"] as? Bool == false)
        #expect(watermark["markId"] is NSNull)
        let trace = try #require(json["trace"] as? [String: Any])
        #expect(trace["account"] is NSNull)
        #expect(trace["falseAttributionProbability"] is NSNull)
    }

    /// A third party without the watermark key: Content Credentials are still validated, the
    /// report says the watermark was not checked and why, and exit 0 (text, JSON, HTML, batch).
    @Test func verifyWithoutKey() throws {
        let stamped = work.appendingPathComponent("signed.mp4")
        let stamp = try Self.run(["stamp", bars, "-o", stamped.path, "--account", "alice", "--preset", "ultrafast"], home: home)
        #expect(stamp.status == 0, "\(stamp.stderr)")
        let keyless = TestSupport.temporaryDirectory("keyless-home")

        let json = try Self.run(["verify", stamped.path, "--format", "json"], home: keyless)
        #expect(json.status == 0, "\(json.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let watermark = try #require(report["watermark"] as? [String: Any])
        #expect(watermark["checked"] as? Bool == false)
        #expect(watermark["detected"] as? Bool == false)
        #expect(watermark["markId"] is NSNull)
        #expect((watermark["note"] as? String)?.contains("no watermark key") == true)
        let manifest = try #require(report["manifest"] as? [String: Any])
        #expect(manifest["present"] as? Bool == true)
        #expect(manifest["validationState"] as? String == "Valid", "\(manifest)")
        let trace = try #require(report["trace"] as? [String: Any])
        #expect(trace["account"] is NSNull)
        #expect(!FileManager.default.fileExists(atPath: keyless.appendingPathComponent("watermark.key").path), "verify must not create a key")

        let text = try Self.run(["verify", stamped.path], home: keyless)
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout.contains("invisible watermark: not checked: this verifier holds no watermark key"), "\(text.stdout)")
        #expect(text.stdout.contains("content credentials: Valid"), "\(text.stdout)")
        #expect(!text.stdout.contains("false-positive probability"))

        let html = work.appendingPathComponent("keyless.html")
        #expect(try Self.run(["verify", stamped.path, "--format", "html", "-o", html.path], home: keyless).status == 0)
        #expect((try? String(contentsOf: html, encoding: .utf8))?.contains("not checked") == true)

        // Several files: one NDJSON line each, all saying the same.
        let batch = try Self.run(["verify", stamped.path, bars, "--format", "json"], home: keyless)
        #expect(batch.status == 0, "\(batch.stderr)")
        let lines = batch.stdout.split(separator: "\n")
        #expect(lines.count == 2)
        for line in lines {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect((object?["watermark"] as? [String: Any])?["checked"] as? Bool == false)
        }
    }

    /// Ctrl-C during a stamp: exit 130, no output or temporary file left, registry unchanged.
    @Test func interruptLeavesNothingBehind() throws {
        let process = Process()
        process.executableURL = try #require(Self.executable)
        let output = work.appendingPathComponent("interrupted.mp4")
        // The slowest preset, so that the encode is still running when the signal arrives.
        process.arguments = ["stamp", TestSupport.fixture("testsrc-720p.mp4").path, "-o", output.path, "--account", "a", "--preset", "placebo"]
        var environment = ProcessInfo.processInfo.environment
        environment["HALLMARK_HOME"] = home.path
        process.environment = environment
        process.standardError = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        // Interrupt once the encode is under way: its temporary output exists.
        let deadline = Date().addingTimeInterval(60)
        while process.isRunning, !files(in: work).contains(where: { $0.hasPrefix(".interrupted.hallmark-") }), Date() < deadline {
            Thread.sleep(forTimeInterval: 0.05)
        }
        #expect(files(in: work).contains { $0.hasPrefix(".interrupted.hallmark-") }, "the stamp never started writing")
        process.interrupt()
        process.waitUntilExit()
        #expect(process.terminationStatus == 130)
        #expect(files(in: work).isEmpty, "left behind: \(files(in: work))")
        let registry = home.appendingPathComponent("registry.sqlite")
        if FileManager.default.fileExists(atPath: registry.path) {
            let list = try Self.run(["registry", "list", "--format", "json"], home: home)
            #expect(list.status == 0 && !list.stdout.contains("markId"), "the interrupted stamp left a record: \(list.stdout)")
        }
    }

    @Test func usageErrorsExit64() throws {
        #expect(try Self.run(["stamp", bars], home: home).status == 64)
        #expect(try Self.run(["stamp", bars, "-o", bars, "--account", "a"], home: home).status == 64)
        #expect(try Self.run(["verify", bars, "--format", "pdf"], home: home).status == 64)
        #expect(try Self.run(["stamp", bars, "-o", work.appendingPathComponent("o.mp4").path, "--account", "a", "--crf", "99"], home: home).status == 64)
        #expect(try Self.run(["frobnicate"], home: home).status == 64)
    }

    /// Every bad input: one line on stderr, the documented code, nothing left behind, registry unchanged.
    @Test func badInputsFailCleanly() throws {
        // A registry with one mark, to check it stays unchanged.
        #expect(try Self.run(["stamp", bars, "-o", work.appendingPathComponent("good.mp4").path, "--account", "a", "--preset", "ultrafast"], home: home).status == 0)
        let registryBefore = FileManager.default.contents(atPath: home.appendingPathComponent("registry.sqlite").path)

        let empty = work.appendingPathComponent("empty.mp4")
        FileManager.default.createFile(atPath: empty.path, contents: Data())
        let text = work.appendingPathComponent("notes.mp4")
        FileManager.default.createFile(atPath: text.path, contents: Data("this is not a video\n".utf8))
        let original = try Data(contentsOf: TestSupport.fixture("testsrc-720p.mp4"))
        let truncated = work.appendingPathComponent("truncated.mp4")
        try original.prefix(original.count / 3).write(to: truncated)
        let headerOnly = work.appendingPathComponent("header-only.mp4")
        try original.prefix(600).write(to: headerOnly)
        var cases: [(String, URL)] = [("zero bytes", empty), ("not a video", text), ("header only", headerOnly),
                                      ("missing", work.appendingPathComponent("nope.mp4"))]
        if TestSupport.hasFFmpegCLI {
            let audioOnly = work.appendingPathComponent("audio.m4a")
            try TestSupport.ffmpeg(["-f", "lavfi", "-i", "sine=d=1", "-c:a", "aac", audioOnly.path])
            cases.append(("no video stream", audioOnly))
            let huge = work.appendingPathComponent("huge.mkv")
            // A stream header claiming 30000x30000 pixels.
            try TestSupport.ffmpeg(["-f", "lavfi", "-i", "color=s=64x64:d=0.2", "-c:v", "rawvideo", "-pix_fmt", "gray", huge.path])
            var bytes = try Data(contentsOf: huge)
            if let range = bytes.range(of: Data([0xB0, 0x81, 0x40])) { bytes.replaceSubrange(range, with: Data([0xB0, 0x82, 0x75, 0x30])) }
            if let range = bytes.range(of: Data([0xBA, 0x81, 0x40])) { bytes.replaceSubrange(range, with: Data([0xBA, 0x82, 0x75, 0x30])) }
            try bytes.write(to: huge)
            cases.append(("absurd dimensions", huge))
        }
        for (name, input) in cases {
            let out = work.appendingPathComponent("out-\(name.replacingOccurrences(of: " ", with: "-")).mp4")
            let stamp = try Self.run(["stamp", input.path, "-o", out.path, "--account", "a"], home: home)
            #expect(stamp.status == 65, "stamp \(name): \(stamp.status) \(stamp.stderr)")
            #expect(stamp.stderr.split(separator: "\n").count == 1, "stamp \(name): \(stamp.stderr)")
            #expect(!FileManager.default.fileExists(atPath: out.path), "stamp \(name) left an output")
            let verify = try Self.run(["verify", input.path], home: home)
            #expect(verify.status == 65, "verify \(name): \(verify.status) \(verify.stderr)")
            #expect(verify.stderr.split(separator: "\n").count == 1, "verify \(name): \(verify.stderr)")
        }
        // A truncated file is refused (65): stamping part of a clip would register it as the clip.
        let truncatedStamp = try Self.run(["stamp", truncated.path, "-o", work.appendingPathComponent("t.mp4").path, "--account", "a", "--preset", "ultrafast"], home: home)
        #expect(truncatedStamp.status == 65, "\(truncatedStamp.stderr)")
        #expect(truncatedStamp.stderr.contains("truncated"), "\(truncatedStamp.stderr)")
        #expect(!FileManager.default.fileExists(atPath: work.appendingPathComponent("t.mp4").path))
        #expect(FileManager.default.contents(atPath: home.appendingPathComponent("registry.sqlite").path) == registryBefore)
        // Verify analyses what is there and says the file is incomplete.
        let truncatedVerify = try Self.run(["verify", truncated.path, "--format", "json"], home: home)
        #expect(truncatedVerify.status == 0, "\(truncatedVerify.stderr)")
        let truncatedReport = try #require(try JSONSerialization.jsonObject(with: Data(truncatedVerify.stdout.utf8)) as? [String: Any])
        #expect((truncatedReport["video"] as? [String: Any])?["complete"] as? Bool == false)
        #expect(!files(in: work).contains { $0.contains(".hallmark-") }, "temporary files left: \(files(in: work))")
    }

    @Test func unwritableOutputAndBadKeys() throws {
        // Output directory that does not exist.
        let missingDirectory = try Self.run(["stamp", bars, "-o", "/nonexistent-dir/out.mp4", "--account", "a"], home: home)
        #expect(missingDirectory.status == 73, "\(missingDirectory.stderr)")
        // A read-only output directory (skipped for root, who can write anywhere).
        if getuid() != 0 {
            let readOnly = work.appendingPathComponent("ro")
            try FileManager.default.createDirectory(at: readOnly, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o500])
            #expect(try Self.run(["stamp", bars, "-o", readOnly.appendingPathComponent("o.mp4").path, "--account", "a"], home: home).status == 73)
        }
        // Trace without any key: exit 78 with one line on stderr (verify without a key: `verifyWithoutKey`).
        let emptyHome = TestSupport.temporaryDirectory("empty-home")
        let noKey = try Self.run(["trace", bars], home: emptyHome)
        #expect(noKey.status == 78, "\(noKey.stderr)")
        #expect(noKey.stderr.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "\n").count == 1, "\(noKey.stderr)")
        // A corrupt key: exit 78, and the message never echoes key material.
        let badHome = TestSupport.temporaryDirectory("bad-home")
        try Data("0123456789abcdef-not-a-key\n".utf8).write(to: badHome.appendingPathComponent("watermark.key"))
        let badKey = try Self.run(["verify", bars], home: badHome)
        #expect(badKey.status == 78)
        #expect(!badKey.stderr.contains("0123456789abcdef"))
        // A wrong (valid but different) key sees no watermark: exit 0, not detected.
        let stamped = work.appendingPathComponent("k.mp4")
        #expect(try Self.run(["stamp", bars, "-o", stamped.path, "--account", "a", "--preset", "ultrafast"], home: home).status == 0)
        let otherHome = TestSupport.temporaryDirectory("other-home")
        #expect(try Self.run(["stamp", bars, "-o", work.appendingPathComponent("k2.mp4").path, "--account", "b", "--preset", "ultrafast"], home: otherHome).status == 0)
        let wrongKey = try Self.run(["verify", stamped.path, "--format", "json"], home: otherHome)
        #expect(wrongKey.status == 0)
        let wrongKeyReport = try #require(try JSONSerialization.jsonObject(with: Data(wrongKey.stdout.utf8)) as? [String: Any])
        let wrongKeyWatermark = try #require(wrongKeyReport["watermark"] as? [String: Any])
        #expect(wrongKeyWatermark["detected"] as? Bool == false)
        #expect(wrongKeyWatermark["markId"] is NSNull)
        // A registry path that is not a database: exit 78, output not written.
        let notDatabase = work.appendingPathComponent("registry.txt")
        try Data("hello".utf8).write(to: notDatabase)
        let registryOutput = work.appendingPathComponent("r.mp4")
        let badRegistry = try Self.run(["stamp", bars, "-o", registryOutput.path, "--account", "a", "--registry", notDatabase.path], home: home)
        #expect(badRegistry.status == 78, "\(badRegistry.stderr)")
        #expect(!FileManager.default.fileExists(atPath: registryOutput.path))
        #expect(try Data(contentsOf: notDatabase) == Data("hello".utf8))
    }
}
