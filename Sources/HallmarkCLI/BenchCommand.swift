import ArgumentParser
import Foundation
import Hallmark
import HallmarkMedia
import HallmarkC2PA
import HallmarkRegistry
import HallmarkSignal

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Time stamp and verify against plain FFmpeg transcode and decode; print the ratios.",
        discussion: """
            Baselines are the ffmpeg CLI (`ffmpeg -i IN -c:v libx264 -crf 18 -preset medium -c:a copy OUT.mp4` \
            and `ffmpeg -i IN -f null -`) when it is on the PATH. Each timing is the best of --runs runs. \
            Uses a throw-away key and registry.
            """)

    @Argument(help: "A clip to time (e.g. ../shared/media/ai-clip-1080p.mp4).")
    var input: String

    @Option(help: "Runs per measurement (the best is kept).")
    var runs: Int = 1

    @Option(help: "x264 preset for both stamp and baseline.")
    var preset: String = "medium"

    func run() throws {
        try reportingErrors {
            let work = FileManager.default.temporaryDirectory.appendingPathComponent("hallmark-bench-\(UUID().uuidString.prefix(8))")
            try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: work) }
            let inputURL = URL(fileURLWithPath: input)
            let registry = try SQLiteRegistry(path: work.appendingPathComponent("r.sqlite").path, create: true)
            let key = WatermarkKey.generate()
            let stamper = Stamper(key: key, registry: registry, home: HallmarkHome(directory: work))
            let verifier = Verifier(key: key, registry: registry)
            let stamped = work.appendingPathComponent("stamped.mp4")

            func best(_ body: () throws -> Void) rethrows -> Double {
                var times: [Double] = []
                for _ in 0..<max(1, runs) {
                    let t0 = Date()
                    try body()
                    times.append(Date().timeIntervalSince(t0))
                }
                return times.min()!
            }
            let ffmpeg = Self.which("ffmpeg")
            var rows: [(String, Double)] = []
            if let ffmpeg {
                rows.append(("ffmpeg transcode (x264 crf 18 \(preset), audio copy)", best {
                    Self.shell(ffmpeg, ["-v", "error", "-y", "-i", input, "-c:v", "libx264", "-crf", "18", "-preset", preset, "-c:a", "copy", work.appendingPathComponent("plain-cli.mp4").path])
                }))
            }
            rows.append(("hallmark pipeline, no marks (same settings)", try best {
                _ = try Transcoder(input: inputURL).run(to: work.appendingPathComponent("plain.mp4"), encoder: .h264(crf: 18, preset: preset))
            }))
            rows.append(("hallmark stamp (visible + invisible)", try best {
                _ = try stamper.stamp(StampRequest(input: inputURL, output: stamped, account: "bench", encoder: .h264(crf: 18, preset: preset)))
            }))
            // The manifest alone: signing the stamped file again (one read, one hashed copy, one signature).
            let unsigned = work.appendingPathComponent("unsigned.mp4")
            _ = try stamper.stamp(StampRequest(input: inputURL, output: unsigned, account: "bench", encoder: .h264(crf: 18, preset: "ultrafast"), signing: .none))
            let identity = try ContentCredentials.identity(for: .development, home: HallmarkHome(directory: work))!.identity
            rows.append(("C2PA manifest embed (hash + sign + write)", try best {
                let signed = work.appendingPathComponent("signed-\(UUID().uuidString.prefix(6)).mp4")
                try ManifestEmbedder.embed(input: unsigned, output: signed, request: ManifestRequest(generatorName: "bench", generatorVersion: "1"), identity: identity)
            }))
            if let ffmpeg {
                rows.append(("ffmpeg decode (-f null)", best { Self.shell(ffmpeg, ["-v", "error", "-i", stamped.path, "-f", "null", "-"]) }))
            }
            rows.append(("hallmark decode only", try best {
                let reader = try FrameReader(url: stamped)
                while try reader.next() != nil {}
            }))
            rows.append(("hallmark verify", try best { _ = try verifier.verify(stamped) }))

            print("| step | seconds |")
            print("|---|---|")
            for (name, seconds) in rows { print("| \(name) | \(String(format: "%.2f", seconds)) |") }
            let lookup = Dictionary(rows, uniquingKeysWith: { a, _ in a })
            let transcodeBase = lookup["ffmpeg transcode (x264 crf 18 \(preset), audio copy)"] ?? lookup["hallmark pipeline, no marks (same settings)"]!
            let decodeBase = lookup["ffmpeg decode (-f null)"] ?? lookup["hallmark decode only"]!
            print("")
            print(String(format: "stamp / transcode: %.2fx (target <= 1.15)", lookup["hallmark stamp (visible + invisible)"]! / transcodeBase))
            print(String(format: "verify / decode:   %.2fx (target <= 1.30)", lookup["hallmark verify"]! / decodeBase))
        }
    }

    static func which(_ name: String) -> String? {
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let path = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }

    static func shell(_ executable: String, _ arguments: [String]) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        try? process.run()
        process.waitUntilExit()
    }
}
