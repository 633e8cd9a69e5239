import ArgumentParser
import Foundation
import Hallmark
import HallmarkMedia
import HallmarkC2PA
import HallmarkRegistry
import HallmarkSignal

/// `hallmark bench`: the clip benchmark by default, `hallmark bench codebook` for informed detection.
struct BenchGroup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmarks: `bench CLIP` times stamp and verify against FFmpeg; `bench codebook` times informed detection.",
        subcommands: [BenchCommand.self, CodebookBenchCommand.self],
        defaultSubcommand: BenchCommand.self)
}

struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clip",
        abstract: "Time stamp and verify against plain FFmpeg transcode and decode; print the ratios.",
        discussion: """
            Baselines are the ffmpeg CLI (`ffmpeg -i IN -c:v libx264 -crf 18 -preset medium -c:a copy OUT.mp4` \
            and `ffmpeg -i IN -f null -`) when it is on the PATH. Steps alternate within each of --runs \
            rounds; ratios are the median over rounds, in wall and CPU time. Then, with ffmpeg, each pair \
            runs side by side (ours in this process, ffmpeg as a child, at the same time) and their CPU \
            times are compared: on a machine whose speed drifts within seconds this is the stable figure. \
            Uses a throw-away key and registry.
            """)

    @Argument(help: "A clip to time (e.g. ../shared/media/ai-clip-1080p.mp4).")
    var input: String

    @Option(help: "Rounds: every step runs once per round.")
    var runs: Int = 3

    @Option(help: "x264 preset for both stamp and baseline.")
    var preset: String = "medium"

    func run() async throws {
        try await reportingErrors {
            let work = FileManager.default.temporaryDirectory.appendingPathComponent("hallmark-bench-\(UUID().uuidString.prefix(8))")
            try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: work) }
            let inputURL = URL(fileURLWithPath: input)
            let registry = try SQLiteRegistry(path: work.appendingPathComponent("r.sqlite").path, create: true)
            let key = WatermarkKey.generate()
            let stamper = Stamper(key: key, registry: registry, home: HallmarkHome(directory: work))
            let verifier = Verifier(key: key, registry: registry)
            let stamped = work.appendingPathComponent("stamped.mp4")

            // Every step runs once per round and rounds alternate the steps, so that a machine whose
            // speed drifts (shared CPUs) slows baseline and contender alike; ratios are taken within
            // a round and the median kept. CPU time (user + system, all threads) is shown beside
            // the wall time: it does not depend on how busy the other cores were.
            let ffmpeg = Self.which("ffmpeg")
            var steps: [Step] = []
            if let ffmpeg {
                steps.append(Step("ffmpeg transcode (x264 crf 18 \(preset), audio copy)", external: true) {
                    Self.shell(ffmpeg, ["-v", "error", "-y", "-i", input, "-c:v", "libx264", "-crf", "18", "-preset", preset, "-c:a", "copy", work.appendingPathComponent("plain-cli.mp4").path])
                })
            }
            steps.append(Step("hallmark pipeline, no marks (same settings)") {
                _ = try Transcoder(input: inputURL).run(to: work.appendingPathComponent("plain.mp4"), encoder: .h264(crf: 18, preset: preset))
            })
            steps.append(Step("hallmark stamp, invisible mark only") {
                _ = try stamper.stamp(StampRequest(input: inputURL, output: work.appendingPathComponent("invisible.mp4"), account: "bench",
                                                   visibleMark: VisibleMark(content: .none), encoder: .h264(crf: 18, preset: preset)))
            })
            steps.append(Step("hallmark stamp (visible + invisible + C2PA)") {
                _ = try stamper.stamp(StampRequest(input: inputURL, output: stamped, account: "bench", encoder: .h264(crf: 18, preset: preset)))
            })
            if let ffmpeg {
                steps.append(Step("ffmpeg decode (-f null)", external: true) { Self.shell(ffmpeg, ["-v", "error", "-i", stamped.path, "-f", "null", "-"]) })
            }
            steps.append(Step("hallmark decode only") {
                let reader = try FrameReader(url: stamped)
                while try reader.next() != nil {}
            })
            steps.append(Step("hallmark verify") { _ = try await verifier.verify(stamped) })

            for _ in 0..<max(1, runs) {
                for step in steps { try await step.measure() }
            }
            // The manifest alone: signing the stamped file again (one read, one hashed copy, one signature).
            let unsigned = work.appendingPathComponent("unsigned.mp4")
            _ = try stamper.stamp(StampRequest(input: inputURL, output: unsigned, account: "bench", encoder: .h264(crf: 18, preset: "ultrafast"), signing: .none))
            let identity = try ContentCredentials.identity(for: .development, home: HallmarkHome(directory: work))!.identity
            let manifest = Step("C2PA manifest alone (hash + sign + write)") {
                let signed = work.appendingPathComponent("signed-\(UUID().uuidString.prefix(6)).mp4")
                try ManifestEmbedder.embed(input: unsigned, output: signed, request: ManifestRequest(generatorName: "bench", generatorVersion: "1"), identity: identity)
            }
            for _ in 0..<max(1, runs) { try await manifest.measure() }

            print("| step | wall s (best) | wall s (median) | CPU s (median) |")
            print("|---|---|---|---|")
            for step in steps + [manifest] {
                print(String(format: "| %@ | %.2f | %.2f | %.2f |", step.name, step.wall.min()!, Self.median(step.wall), Self.median(step.cpu)))
            }
            func ratio(_ contender: String, _ baseline: String?, target: Double) {
                guard let a = steps.first(where: { $0.name.hasPrefix(contender) }),
                      let b = steps.first(where: { $0.name.hasPrefix(baseline ?? "-") }) else { return }
                let wall = zip(a.wall, b.wall).map { $0 / $1 }, cpu = zip(a.cpu, b.cpu).map { $0 / $1 }
                print(String(format: "%@ / %@: %.2fx wall, %.2fx CPU (median of %d rounds; wall per round: %@; target <= %.2f)",
                             a.name, b.name, Self.median(wall), Self.median(cpu), wall.count,
                             wall.map { String(format: "%.2f", $0) }.joined(separator: " "), target))
            }
            print("")
            ratio("hallmark stamp (visible", ffmpeg != nil ? "ffmpeg transcode" : "hallmark pipeline", target: 1.15)
            ratio("hallmark stamp, invisible", ffmpeg != nil ? "ffmpeg transcode" : "hallmark pipeline", target: 1.15)
            ratio("hallmark verify", ffmpeg != nil ? "ffmpeg decode" : "hallmark decode", target: 1.30)

            guard let ffmpeg else { return }
            print("")
            print("Side by side (each pair at the same time, so both see the same machine speed), CPU seconds:")
            print("| pair | round | ffmpeg CPU s | hallmark CPU s | ratio |")
            print("|---|---|---|---|---|")
            let pairs: [(name: String, target: Double, ffmpeg: [String], ours: () async throws -> Void)] = [
                ("stamp (visible + invisible + C2PA) / transcode", 1.15,
                 ["-v", "error", "-y", "-i", input, "-c:v", "libx264", "-crf", "18", "-preset", preset, "-c:a", "copy", work.appendingPathComponent("plain-cli.mp4").path],
                 { _ = try stamper.stamp(StampRequest(input: inputURL, output: work.appendingPathComponent("side.mp4"), account: "bench", encoder: .h264(crf: 18, preset: preset))) }),
                ("verify / decode", 1.30, ["-v", "error", "-i", stamped.path, "-f", "null", "-"], { _ = try await verifier.verify(stamped) }),
            ]
            var summaries: [String] = []
            for pair in pairs {
                var ratios: [Double] = []
                for round in 1...max(1, runs) {
                    let (theirs, ours) = try await Self.sideBySide(ffmpeg, pair.ffmpeg, pair.ours)
                    ratios.append(ours / theirs)
                    print(String(format: "| %@ | %d | %.1f | %.1f | %.2f |", pair.name, round, theirs, ours, ours / theirs))
                }
                summaries.append(String(format: "%@: %.2fx CPU side by side (median of %d rounds; target <= %.2f)",
                                        pair.name, Self.median(ratios), ratios.count, pair.target))
            }
            print("")
            summaries.forEach { print($0) }
        }
    }

    /// CPU seconds of ffmpeg (a child process) and of `ours` (this process) run at the same time.
    static func sideBySide(_ ffmpeg: String, _ arguments: [String], _ ours: () async throws -> Void) async throws -> (ffmpeg: Double, ours: Double) {
        let children0 = Step.cpuSeconds(-1), self0 = Step.cpuSeconds(0)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ffmpeg)
        process.arguments = arguments
        try process.run()
        try await ours()
        let self1 = Step.cpuSeconds(0)
        process.waitUntilExit()
        // A reaped child's time is in RUSAGE_CHILDREN.
        return (Step.cpuSeconds(-1) - children0, self1 - self0)
    }

    /// One timed step: wall and CPU seconds of every run.
    final class Step {
        let name: String
        let external: Bool
        let body: () async throws -> Void
        var wall: [Double] = []
        var cpu: [Double] = []

        init(_ name: String, external: Bool = false, _ body: @escaping () async throws -> Void) {
            self.name = name
            self.external = external
            self.body = body
        }

        func measure() async throws {
            // getrusage's RUSAGE_SELF (0) and RUSAGE_CHILDREN (-1), the same numbers on Linux and macOS.
            let who: Int32 = external ? -1 : 0
            let cpu0 = Self.cpuSeconds(who), t0 = Date()
            try await body()
            wall.append(Date().timeIntervalSince(t0))
            cpu.append(Self.cpuSeconds(who) - cpu0)
        }

        static func cpuSeconds(_ who: Int32) -> Double {
            var usage = rusage()
            getrusage(who, &usage)
            func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
            return seconds(usage.ru_utime) + seconds(usage.ru_stime)
        }
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return 0 }
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
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
