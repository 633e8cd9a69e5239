import Foundation
import Testing
@testable import Hallmark
import HallmarkMedia
import HallmarkRegistry
import HallmarkSignal

/// Paths and helpers shared by the media and CLI tests.
enum TestSupport {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let fixtures = packageRoot.appendingPathComponent("Fixtures")
    static let shared = packageRoot.deletingLastPathComponent().appendingPathComponent("shared")
    static let aiClip = shared.appendingPathComponent("media/ai-clip-1080p.mp4")
    static var hasSharedClip: Bool { FileManager.default.fileExists(atPath: aiClip.path) }
    static var hasFFmpegCLI: Bool { ffmpegPath != nil }
    static let ffmpegPath: String? = ["/usr/bin/ffmpeg", "/usr/local/bin/ffmpeg"].first { FileManager.default.isExecutableFile(atPath: $0) }

    static func fixture(_ name: String) -> URL { fixtures.appendingPathComponent(name) }

    /// All of this test process's scratch files live under one folder; folders left by earlier
    /// test processes that have exited are removed the first time it is needed.
    static let scratchRoot: URL = {
        let base = FileManager.default.temporaryDirectory
        let names = (try? FileManager.default.contentsOfDirectory(atPath: base.path)) ?? []
        for name in names where name.hasPrefix("hallmark-tests-") {
            if let pid = Int32(name.dropFirst("hallmark-tests-".count)), kill(pid, 0) != 0 {
                try? FileManager.default.removeItem(at: base.appendingPathComponent(name))
            }
        }
        let root = base.appendingPathComponent("hallmark-tests-\(getpid())")
        try? FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        return root
    }()

    /// A fresh directory under this process's scratch folder.
    static func temporaryDirectory(_ label: String = "test") -> URL {
        let url = scratchRoot.appendingPathComponent("\(label)-\(UUID().uuidString.prefix(8))")
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// A key, registry and stamper/verifier pair in a fresh home.
    struct Workspace {
        let home: HallmarkHome
        let stamper: Stamper
        var directory: URL { home.directory }

        init() throws {
            home = HallmarkHome(directory: TestSupport.temporaryDirectory("home"))
            stamper = try Stamper(home: home)
        }

        func verifier() throws -> Verifier { try Verifier(home: home) }

        func stamp(_ input: URL, account: String = "acct-1", visible: VisibleMark = VisibleMark(content: .none),
                   name: String = "stamped.mp4") throws -> StampResult {
            try stamper.stamp(StampRequest(input: input, output: directory.appendingPathComponent(name), account: account,
                                           label: "clip", visibleMark: visible, encoder: .h264(crf: 18, preset: "veryfast")))
        }
    }

    /// Runs the ffmpeg CLI (for making attacked copies the way a third party would).
    @discardableResult
    static func ffmpeg(_ arguments: [String]) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ffmpegPath!)
        process.arguments = ["-v", "error", "-y"] + arguments
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// What a run of the `hallmark` executable did.
    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
        /// Killed by a signal (`status` is then the signal number), not exited.
        var signalled: Bool
        /// Still running at the deadline and killed.
        var timedOut: Bool
    }

    /// The built `hallmark` next to the test bundle.
    static let hallmarkExecutable: URL? = {
        var directory = Bundle.main.bundleURL
        for _ in 0..<3 {
            let candidate = directory.appendingPathComponent("hallmark")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        return nil
    }()

    /// Runs `hallmark` as a user would, with `HALLMARK_HOME=home` and `environment` added;
    /// killed (and reported as timed out) if it runs longer than `timeout` seconds.
    static func runHallmark(_ arguments: [String], home: URL, environment extra: [String: String] = [:],
                            timeout: Double = 600) throws -> Run {
        let process = Process()
        process.executableURL = try #require(hallmarkExecutable, "the hallmark executable was not built")
        process.arguments = arguments
        return try run(process, home: home, environment: extra, timeout: timeout)
    }

    /// Runs `process` with `HALLMARK_HOME=home` and `environment` added, stdin empty, and stdout and
    /// stderr captured; killed (and reported as timed out) after `timeout` seconds.
    static func run(_ process: Process, home: URL, environment extra: [String: String] = [:], timeout: Double = 600) throws -> Run {
        var environment = ProcessInfo.processInfo.environment
        environment["HALLMARK_HOME"] = home.path
        environment.merge(extra) { $1 }
        process.environment = environment
        // Output goes to files, so a long or stuck run cannot block on a full pipe.
        let scratch = temporaryDirectory("run")
        let outURL = scratch.appendingPathComponent("out"), errURL = scratch.appendingPathComponent("err")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL)
        defer { try? out.close(); try? err.close() }
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        var timedOut = false
        while process.isRunning {
            if Date() > deadline {
                timedOut = true
                kill(process.processIdentifier, SIGKILL)
                break
            }
            Thread.sleep(forTimeInterval: 0.02)
        }
        process.waitUntilExit()
        return Run(status: process.terminationStatus,
                   stdout: (try? String(contentsOf: outURL, encoding: .utf8)) ?? "",
                   stderr: (try? String(contentsOf: errURL, encoding: .utf8)) ?? "",
                   signalled: process.terminationReason == .uncaughtSignal, timedOut: timedOut)
    }
}
