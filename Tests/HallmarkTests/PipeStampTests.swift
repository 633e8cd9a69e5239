import Foundation
import Testing
@testable import Hallmark
import HallmarkCrypto
import HallmarkMedia
import HallmarkRegistry

/// `hallmark stamp -`: a generator's frames piped in (y4m from ffmpeg, raw frames from Python),
/// truncated streams refused, and the frame-push `StampSession`.
@Suite(.serialized, .tags(.media, .endToEnd))
struct PipeStampTests {
    let home = TestSupport.temporaryDirectory("pipe-home")
    let work = TestSupport.temporaryDirectory("pipe-work")

    /// Writes `frames` 640x360 yuv420p frames of a diagonal ramp moving 8 pixels a frame, and
    /// `extra` bytes of one more, to stdout.
    static func pythonGenerator(frames: Int, extra: Int = 0) -> String {
        """
        python3 -c '
        import sys
        w, h = 640, 360
        base = bytes((x * 3) & 255 for x in range(2048))
        out = sys.stdout.buffer
        for i in range(\(frames)):
            luma = b"".join(base[(i * 8 + y) % 1024:(i * 8 + y) % 1024 + w] for y in range(h))
            chroma = bytes([(128 + i) & 255]) * (w * h // 4) + bytes([(128 - i) & 255]) * (w * h // 4)
            out.write(luma + chroma)
        out.write(bytes(\(extra)))
        '
        """
    }

    /// Runs `producer | hallmark ARGUMENTS` in a shell with this suite's home; the status and
    /// stderr are hallmark's (the producer's complaints about a closed pipe are dropped).
    func pipe(_ producer: String, into arguments: [String]) throws -> TestSupport.Run {
        let executable = try #require(TestSupport.hallmarkExecutable, "the hallmark executable was not built")
        let quoted = ([executable.path] + arguments).map { "'\($0.replacingOccurrences(of: "'", with: "'\\''"))'" }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "( \(producer) ) 2>/dev/null | \(quoted.joined(separator: " "))"]
        var environment = ProcessInfo.processInfo.environment
        environment["HALLMARK_HOME"] = home.path
        process.environment = environment
        let scratch = TestSupport.temporaryDirectory("pipe-run")
        let outURL = scratch.appendingPathComponent("out"), errURL = scratch.appendingPathComponent("err")
        FileManager.default.createFile(atPath: outURL.path, contents: nil)
        FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL)
        defer { try? out.close(); try? err.close() }
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return TestSupport.Run(status: process.terminationStatus,
                               stdout: (try? String(contentsOf: outURL, encoding: .utf8)) ?? "",
                               stderr: (try? String(contentsOf: errURL, encoding: .utf8)) ?? "",
                               signalled: process.terminationReason == .uncaughtSignal, timedOut: false)
    }

    func registryRecords() throws -> [MarkRecord] {
        let path = home.appendingPathComponent("registry.sqlite").path
        guard FileManager.default.fileExists(atPath: path) else { return [] }
        return try SQLiteRegistry(path: path, create: false).records(account: nil)
    }

    func files(in directory: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).sorted()
    }

    /// The account `hallmark verify --format json` traces `file` to.
    func tracedAccount(_ file: URL) throws -> String? {
        let verify = try TestSupport.runHallmark(["verify", file.path, "--format", "json"], home: home)
        #expect(verify.status == 0, "\(verify.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(verify.stdout.utf8)) as? [String: Any])
        #expect((json["watermark"] as? [String: Any])?["detected"] as? Bool == true)
        return (json["trace"] as? [String: Any])?["account"] as? String
    }

    @Test(.enabled(if: TestSupport.hasFFmpegCLI, "needs the ffmpeg CLI as the producer"))
    func y4mFromFFmpegIsTheOnlyEncode() throws {
        let output = work.appendingPathComponent("out.mp4")
        let producer = "'\(TestSupport.ffmpegPath!)' -v error -f lavfi -i testsrc=size=640x360:rate=24 -t 2 -pix_fmt yuv420p -f yuv4mpegpipe -"
        let stamp = try pipe(producer, into: ["stamp", "-", "--account", "pipe-account", "-o", output.path, "--preset", "veryfast"])
        #expect(stamp.status == 0, "\(stamp.stderr)")
        let markId = stamp.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try tracedAccount(output) == "pipe-account")
        let record = try #require(try registryRecords().first { MarkID.hex($0.markId) == markId })
        #expect(record.delivery == .delivered)
        #expect(record.inputSHA256?.count == 64)
    }

    @Test func rawFramesFromPython() throws {
        let output = work.appendingPathComponent("raw.mp4")
        let raw = work.appendingPathComponent("frames.yuv")
        let stamp = try pipe(Self.pythonGenerator(frames: 48) + " | tee '\(raw.path)'", into: [
            "stamp", "-", "--input-format", "rawvideo", "--size", "640x360", "--pix-fmt", "yuv420p", "--fps", "24",
            "--account", "python-account", "-o", output.path, "--preset", "veryfast"])
        #expect(stamp.status == 0, "\(stamp.stderr)")
        #expect(try tracedAccount(output) == "python-account")
        // For raw frames, the hash of the frames received is the hash of the bytes piped in.
        let record = try #require(try registryRecords().first { $0.account == "python-account" })
        #expect(record.inputSHA256 == (try SHA256Hasher.hashFile(at: raw).hexString))
        #expect(record.delivery == .delivered)
        let info = try FrameReader(url: output).info
        #expect(info.width == 640 && info.height == 360 && abs(info.duration - 2) < 0.1)
    }

    /// A stream cut inside a frame: exit 65 with one line, no output, nothing delivered.
    @Test(arguments: ["raw", "y4m"])
    func truncatedStreamIsRefused(kind: String) throws {
        if kind == "y4m" && !TestSupport.hasFFmpegCLI { return }
        let output = work.appendingPathComponent("cut-\(kind).mp4")
        let stamp: TestSupport.Run
        if kind == "raw" {
            stamp = try pipe(Self.pythonGenerator(frames: 10, extra: 1000), into: [
                "stamp", "-", "--input-format", "rawvideo", "--size", "640x360", "--pix-fmt", "yuv420p", "--fps", "24",
                "--account", "cut", "-o", output.path])
        } else {
            // Ten frames of 345,600 bytes (plus headers), cut in the seventh.
            let producer = "'\(TestSupport.ffmpegPath!)' -v error -f lavfi -i testsrc=size=640x360:rate=24 -frames:v 10 -pix_fmt yuv420p -f yuv4mpegpipe - | head -c 2200000"
            stamp = try pipe(producer, into: ["stamp", "-", "--account", "cut", "-o", output.path])
        }
        #expect(stamp.status == 65, "\(stamp.status): \(stamp.stderr)")
        #expect(stamp.stderr.split(separator: "\n").count == 1, "\(stamp.stderr)")
        #expect(stamp.stderr.contains("truncated"))
        #expect(!FileManager.default.fileExists(atPath: output.path))
        #expect(files(in: work).filter { $0.hasPrefix("cut-") || $0.hasPrefix(".cut-") }.isEmpty, "\(files(in: work))")
        #expect(try registryRecords().filter { $0.account == "cut" && $0.delivery == .delivered }.isEmpty)
    }

    @Test func streamFlagsAreUsageErrors() throws {
        let output = work.appendingPathComponent("never.mp4").path
        let cases: [[String]] = [
            ["--input-format", "rawvideo", "--fps", "24"],
            ["--input-format", "rawvideo", "--size", "640by360", "--fps", "24"],
            ["--input-format", "rawvideo", "--size", "640x360", "--fps", "0"],
            ["--input-format", "rawvideo", "--size", "640x360", "--fps", "24", "--pix-fmt", "yuv999"],
            ["--input-format", "no-such-demuxer"],
            ["--size", "640x360"],
        ]
        for flags in cases {
            let run = try TestSupport.runHallmark(["stamp", "-", "--account", "a", "-o", output] + flags, home: home)
            #expect(run.status == 64, "\(flags): \(run.status) \(run.stderr)")
        }
        let onFile = try TestSupport.runHallmark(["stamp", TestSupport.fixture("bars-720p.mp4").path, "--fps", "24",
                                                  "--account", "a", "-o", output], home: home)
        #expect(onFile.status == 64)
        #expect(!FileManager.default.fileExists(atPath: output))
    }
}
