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
        return try TestSupport.run(process, home: home)
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
    func tracedAccount(_ file: URL, home: URL? = nil) throws -> String? {
        let verify = try TestSupport.runHallmark(["verify", file.path, "--format", "json"], home: home ?? self.home)
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

    /// NUT carries audio: it is copied into the output beside the stamped video.
    @Test(.enabled(if: TestSupport.hasFFmpegCLI, "needs the ffmpeg CLI as the producer"))
    func nutWithAudioKeepsTheAudio() throws {
        let output = work.appendingPathComponent("nut.mp4")
        let stamp = try pipe(Self.nutProducer, into: ["stamp", "-", "--account", "nut-account", "-o", output.path, "--preset", "veryfast"])
        #expect(stamp.status == 0, "\(stamp.stderr)")
        #expect(try tracedAccount(output) == "nut-account")
        let info = try FrameReader(url: output).info
        #expect(info.audioStreams == 1 && abs(info.duration - 2) < 0.01)
    }

    /// Two seconds of lossless video (ffv1) and AAC audio as NUT (about 300 kB).
    static var nutProducer: String {
        "'\(TestSupport.ffmpegPath!)' -v error -f lavfi -i testsrc=size=640x360:rate=24 -f lavfi -i sine -t 2 -pix_fmt yuv420p -c:v ffv1 -c:a aac -f nut -"
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
        #expect(info.width == 640 && info.height == 360 && abs(info.duration - 2) < 0.01 && abs(info.frameRate - 24) < 0.01)
    }

    /// A stream cut inside a frame: exit 65 with one line, no output, nothing delivered.
    @Test(arguments: ["raw", "y4m", "nut"])
    func truncatedStreamIsRefused(kind: String) throws {
        if kind != "raw" && !TestSupport.hasFFmpegCLI { return }
        let output = work.appendingPathComponent("cut-\(kind).mp4")
        let stamp: TestSupport.Run
        if kind == "raw" {
            stamp = try pipe(Self.pythonGenerator(frames: 10, extra: 1000), into: [
                "stamp", "-", "--input-format", "rawvideo", "--size", "640x360", "--pix-fmt", "yuv420p", "--fps", "24",
                "--account", "cut", "-o", output.path])
        } else if kind == "nut" {
            stamp = try pipe(Self.nutProducer + " | head -c 100000", into: ["stamp", "-", "--account", "cut", "-o", output.path])
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

    /// One 640x360 yuv420p frame: a ramp moving 8 pixels a frame, chroma changing with `index`.
    static func syntheticFrame(_ index: Int) -> [UInt8] {
        let w = 640, h = 360
        var frame = [UInt8](repeating: 0, count: w * h * 3 / 2)
        for y in 0..<h {
            for x in 0..<w { frame[y * w + x] = UInt8(truncatingIfNeeded: (x + y + index * 8) * 3) }
        }
        for i in (w * h)..<(w * h * 5 / 4) { frame[i] = UInt8(truncatingIfNeeded: 128 + index) }
        for i in (w * h * 5 / 4)..<frame.count { frame[i] = UInt8(truncatingIfNeeded: 128 - index) }
        return frame
    }

    @Test func framesPushedThroughASession() async throws {
        let workspace = try TestSupport.Workspace()
        let output = workspace.directory.appendingPathComponent("pushed.mp4")
        let format = try RawVideoFormat(width: 640, height: 360, pixelFormat: "yuv420p", frameRate: FrameRate(24))
        #expect(format.frameByteCount == 640 * 360 * 3 / 2)
        let session = try StampSession(stamper: workspace.stamper, output: output, account: "session-account", format: format,
                                       label: "pushed", encoder: .h264(crf: 18, preset: "veryfast"))
        let hasher = SHA256Hasher()
        for index in 0..<60 {
            let frame = Self.syntheticFrame(index)
            hasher.update(frame)
            try await session.append(frame: frame, at: Double(index) / 24)
        }
        #expect(!FileManager.default.fileExists(atPath: output.path), "the output appeared before finish")
        let result = try await session.finish()
        #expect(result.framesEncoded == 60)
        #expect(result.manifest != nil)

        let record = try #require(try workspace.stamper.registry.record(markId: result.markId))
        #expect(record.account == "session-account" && record.clipLabel == "pushed")
        #expect(record.delivery == .delivered)
        #expect(record.inputSHA256 == hasher.finalize().hexString)
        #expect(record.outputSHA256 == (try SHA256Hasher.hashFile(at: output).hexString))
        let info = try FrameReader(url: output).info
        #expect(info.width == 640 && info.height == 360 && abs(info.frameRate - 24) < 0.01 && abs(info.duration - 2.5) < 0.01)

        let report = try await workspace.verifier().verify(output)
        #expect(report.watermark.detected && report.watermark.markId == result.markIdHex)
        #expect(report.trace.account == "session-account")

        // Used after finish: an error, not a second stamp.
        await #expect(throws: HallmarkError.self) { try await session.append(frame: Self.syntheticFrame(0)) }
    }

    /// Cancelled, failed or dropped: no output, no temporary file, no record.
    @Test func abandonedSessionsLeaveNothing() async throws {
        let workspace = try TestSupport.Workspace()
        let folder = TestSupport.temporaryDirectory("abandoned")
        let format = try RawVideoFormat(width: 640, height: 360, frameRate: FrameRate(24))
        func open(_ name: String) throws -> StampSession {
            try StampSession(stamper: workspace.stamper, output: folder.appendingPathComponent(name), account: "gone",
                             format: format, encoder: .h264(crf: 23, preset: "ultrafast"))
        }
        let cancelled = try open("cancelled.mp4")
        for index in 0..<5 { try await cancelled.append(frame: Self.syntheticFrame(index)) }
        await cancelled.cancel()
        await #expect(throws: HallmarkError.self) { _ = try await cancelled.finish() }

        let wrongSize = try open("wrong-size.mp4")
        try await wrongSize.append(frame: Self.syntheticFrame(0))
        await #expect(throws: HallmarkError.self) { try await wrongSize.append(frame: [UInt8](repeating: 0, count: 1000)) }
        await #expect(throws: HallmarkError.self) { _ = try await wrongSize.finish() }

        let backwards = try open("backwards.mp4")
        try await backwards.append(frame: Self.syntheticFrame(0), at: 1)
        await #expect(throws: HallmarkError.self) { try await backwards.append(frame: Self.syntheticFrame(1), at: 0.5) }

        do {
            let dropped = try open("dropped.mp4")
            for index in 0..<5 { try await dropped.append(frame: Self.syntheticFrame(index)) }
        }
        let empty = try open("empty.mp4")
        await #expect(throws: HallmarkError.self) { _ = try await empty.finish() }

        #expect(files(in: folder).isEmpty, "left behind: \(files(in: folder))")
        #expect(try workspace.stamper.registry.records(account: "gone").isEmpty)
    }
}
