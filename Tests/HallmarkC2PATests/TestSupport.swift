import Foundation
import HallmarkC2PA

/// Paths and helpers shared by the tests.
enum TestSupport {
    /// The package root (symbolic links resolved, so a development package that links this
    /// folder finds the same root).
    static let packageRoot: URL = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `../shared` next to the package.
    static let shared = packageRoot.deletingLastPathComponent().appendingPathComponent("shared")
    static let fixtures = shared.appendingPathComponent("c2pa-fixtures")
    static let fixtureCerts = fixtures.appendingPathComponent("certs")
    static let hasFixtures = FileManager.default.fileExists(atPath: fixtures.appendingPathComponent("video1.mp4").path)
    static let noManifestVideo = fixtures.appendingPathComponent("video1_no_manifest.mp4")
    static let hasNoManifestVideo = FileManager.default.fileExists(atPath: noManifestVideo.path)

    static func fixture(_ name: String) -> URL { fixtures.appendingPathComponent(name) }

    /// The c2pa-python interpreter: `HALLMARK_C2PA_PYTHON`, else `<package root>/.venv-c2pa/bin/python`.
    static let python: URL = {
        if let path = ProcessInfo.processInfo.environment["HALLMARK_C2PA_PYTHON"], !path.isEmpty {
            return URL(fileURLWithPath: path)
        }
        return packageRoot.appendingPathComponent(".venv-c2pa/bin/python")
    }()
    static let hasPython = FileManager.default.isExecutableFile(atPath: python.path)
    static let interop = packageRoot.appendingPathComponent("Tests/HallmarkC2PATests/interop")

    static let ffmpeg: URL? = {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") {
            let url = URL(fileURLWithPath: String(dir)).appendingPathComponent("ffmpeg")
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        return nil
    }()

    /// A fresh temporary directory.
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("hallmark-c2pa-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Runs a program and returns its standard output; throws on a non-zero exit.
    @discardableResult
    static func run(_ executable: URL, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw TestFailure("\(executable.lastPathComponent) \(arguments.joined(separator: " ")) exited \(process.terminationStatus): \(String(decoding: errData, as: UTF8.self).suffix(2000))")
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// c2pa-python's reading of a file.
    struct PythonReading: Decodable {
        var present: Bool
        var state: String?
        var failure: [String]
        var success: [String]
        var informational: [String]
        var validation_status: [String]
        var activeManifest: String?
        var error: String?
    }

    static func pythonRead(_ file: URL, anchors: URL?, extra: [String] = []) throws -> PythonReading {
        var arguments = [interop.appendingPathComponent("read_state.py").path, file.path]
        if let anchors { arguments.append(anchors.path) }
        arguments += extra
        let output = try run(python, arguments)
        return try JSONDecoder().decode(PythonReading.self, from: Data(output.utf8))
    }

    /// A tiny H.264 MP4 made by ffmpeg, or nil when ffmpeg is missing.
    static func makeTinyMP4(in directory: URL, name: String = "tiny.mp4") throws -> URL? {
        guard let ffmpeg else { return nil }
        let url = directory.appendingPathComponent(name)
        try run(ffmpeg, ["-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc2=s=160x90:d=1",
                         "-c:v", "libx264", "-pix_fmt", "yuv420p", "-movflags", "+faststart", url.path])
        return url
    }

    /// Flips one byte of a file in place.
    static func flipByte(_ url: URL, at offset: UInt64) throws {
        let handle = try FileHandle(forUpdating: url)
        defer { try? handle.close() }
        try handle.seek(toOffset: offset)
        let byte = try handle.read(upToCount: 1)![0]
        try handle.seek(toOffset: offset)
        try handle.write(contentsOf: Data([byte ^ 0xff]))
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
