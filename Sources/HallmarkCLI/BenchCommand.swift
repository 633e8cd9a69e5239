import ArgumentParser
import Foundation
import Hallmark
import HallmarkMedia

/// `hallmark bench`: the clip benchmark by default, `hallmark bench codebook` for informed detection.
struct BenchGroup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmarks: `bench CLIP` times stamp and verify against FFmpeg; `bench codebook` times informed detection.",
        subcommands: [BenchCommand.self, CodebookBenchCommand.self, SearchBenchCommand.self],
        defaultSubcommand: BenchCommand.self)
}

struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clip",
        abstract: "What the mark costs a platform: stamp and verify against the ffmpeg CLI, as whole processes.",
        discussion: """
            Runs this `hallmark` executable as a child (`stamp`, `verify`) against the ffmpeg CLI \
            (`ffmpeg -i IN -c:v libx264 -crf 18 -preset medium -c:a copy OUT.mp4`, `ffmpeg -i STAMPED -f null -`). \
            The two commands of a pair alternate (ours first in odd rounds, theirs first in even ones). \
            Printed in this order: wall-time ratios (median of the per-pair ratios, min-max spread), \
            CPU-time ratios, the bitrate ratio (video stream of an invisible-mark-only stamp against \
            the plain ffmpeg encode at the same CRF and preset) and each child's peak RSS (wait4). \
            Uses a throw-away HALLMARK_HOME (`keys init --dev`), so your home is untouched.
            """)

    @Argument(help: "A clip to time (e.g. ../shared/media/ai-clip-1080p.mp4).")
    var input: String

    @Option(help: "Rounds: each pair runs once per round.")
    var runs: Int = 3

    @Option(help: "x264 preset for both stamp and baseline.")
    var preset: String = "medium"

    @Option(help: ArgumentHelp("CRFs for the bitrate ratio, separated by commas.", valueName: "list"))
    var bitrateCrf: String = "18,23"

    var crfs: [Int] { bitrateCrf.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) } }

    func validate() throws {
        guard runs >= 1 else { throw ValidationError("--runs must be at least 1") }
        guard crfs.allSatisfy({ (0...51).contains($0) }) else { throw ValidationError("--bitrate-crf: CRFs from 0 to 51, e.g. 18,23") }
    }

    /// One comparison: our command and the ffmpeg baseline, each measured once per round.
    struct Pair {
        var name: String
        var ours: [String]
        var theirs: [String]
        var oursRuns: [ChildRun] = []
        var theirsRuns: [ChildRun] = []
    }

    func run() async throws {
        try await reportingErrors {
            guard let ffmpeg = Self.which("ffmpeg") else {
                throw ChildRunError(message: "bench needs the ffmpeg CLI on the PATH for its baselines")
            }
            let work = FileManager.default.temporaryDirectory.appendingPathComponent("hallmark-bench-\(UUID().uuidString.prefix(8))")
            try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: work) }
            let hallmark = ChildRun.selfExecutable
            let env = ["HALLMARK_HOME": work.appendingPathComponent("home").path]
            func path(_ name: String) -> String { work.appendingPathComponent(name).path }
            func runChecked(_ executable: String, _ arguments: [String]) throws -> ChildRun {
                let run = try ChildRun.run(executable, arguments, environment: env)
                guard run.exitStatus == 0 else {
                    throw ChildRunError(message: "\((executable as NSString).lastPathComponent) \(arguments.prefix(2).joined(separator: " ")) ... exited with \(run.exitStatus)")
                }
                return run
            }
            _ = try runChecked(hallmark, ["keys", "init", "--dev"])

            let stamped = path("stamped.mp4")
            // One stamp first, so that verify has its file before the first round.
            _ = try runChecked(hallmark, ["stamp", input, "-o", stamped, "--account", "bench", "--preset", preset])
            var pairs = [
                Pair(name: "stamp (visible + invisible + C2PA) / ffmpeg transcode",
                     ours: ["stamp", input, "-o", path("ours.mp4"), "--account", "bench", "--preset", preset],
                     theirs: ["-v", "error", "-y", "-i", input, "-c:v", "libx264", "-crf", "18", "-preset", preset, "-c:a", "copy", path("theirs.mp4")]),
                Pair(name: "verify / ffmpeg decode (-f null)",
                     ours: ["verify", stamped],
                     theirs: ["-v", "error", "-i", stamped, "-f", "null", "-"]),
            ]
            for round in 0..<runs {
                for index in pairs.indices {
                    // Alternate who goes first, so a drift in machine speed does not favour one side.
                    if round % 2 == 0 {
                        pairs[index].oursRuns.append(try Self.runOurs(hallmark, pairs[index].ours, env))
                        pairs[index].theirsRuns.append(try runChecked(ffmpeg, pairs[index].theirs))
                    } else {
                        pairs[index].theirsRuns.append(try runChecked(ffmpeg, pairs[index].theirs))
                        pairs[index].oursRuns.append(try Self.runOurs(hallmark, pairs[index].ours, env))
                    }
                }
            }

            print("Wall time of the whole process, ours / ffmpeg (median of per-pair ratios, min-max):")
            for pair in pairs {
                let ratio = PairedRatios(ours: pair.oursRuns.map(\.wallSeconds), theirs: pair.theirsRuns.map(\.wallSeconds))
                print(String(format: "  %@: %@  [ours %@ s; ffmpeg %@ s]", pair.name, ratio.summary,
                             Self.list(pair.oursRuns.map(\.wallSeconds)), Self.list(pair.theirsRuns.map(\.wallSeconds))))
            }
            print("CPU time (user + system), ours / ffmpeg:")
            for pair in pairs {
                let ratio = PairedRatios(ours: pair.oursRuns.map(\.cpuSeconds), theirs: pair.theirsRuns.map(\.cpuSeconds))
                print(String(format: "  %@: %@  [ours %@ s; ffmpeg %@ s]", pair.name, ratio.summary,
                             Self.list(pair.oursRuns.map(\.cpuSeconds)), Self.list(pair.theirsRuns.map(\.cpuSeconds))))
            }

            print("Bitrate, video stream: `stamp --visible none --no-manifest` / ffmpeg libx264, same CRF and preset (\(preset)):")
            for crf in crfs {
                let ours = path("bitrate-ours-\(crf).mp4"), theirs = path("bitrate-theirs-\(crf).mp4")
                _ = try runChecked(hallmark, ["stamp", input, "-o", ours, "--account", "bench", "--visible", "none", "--no-manifest",
                                              "--crf", "\(crf)", "--preset", preset])
                _ = try runChecked(ffmpeg, ["-v", "error", "-y", "-i", input, "-an", "-c:v", "libx264", "-crf", "\(crf)", "-preset", preset, theirs])
                let a = try VideoStreamSize(of: URL(fileURLWithPath: ours)), b = try VideoStreamSize(of: URL(fileURLWithPath: theirs))
                print(String(format: "  CRF %d: %.3fx (%.0f kbit/s vs %.0f kbit/s; %lld vs %lld bytes)",
                             crf, a.bitsPerSecond / b.bitsPerSecond, a.bitsPerSecond / 1000, b.bitsPerSecond / 1000, a.bytes, b.bytes))
            }

            print("Peak RSS of each child (wait4 ru_maxrss; largest over the rounds):")
            for pair in pairs {
                let ours = pair.oursRuns.map(\.peakRSS).max() ?? 0, theirs = pair.theirsRuns.map(\.peakRSS).max() ?? 0
                print("  \(pair.name): ours \(PairedRatios.megabytes(ours)), ffmpeg \(PairedRatios.megabytes(theirs))")
            }
            print("Rounds: \(runs); \(hallmark) on \(input).")
        }
    }

    /// `verify` exits non-zero for findings that are not failures of the run (e.g. no manifest):
    /// any exit below 64 (usage and software errors) counts as a completed run.
    static func runOurs(_ hallmark: String, _ arguments: [String], _ env: [String: String]) throws -> ChildRun {
        let run = try ChildRun.run(hallmark, arguments, environment: env)
        guard run.exitStatus == 0 || (arguments.first == "verify" && run.exitStatus < 64) else {
            throw ChildRunError(message: "hallmark \(arguments.first ?? "") exited with \(run.exitStatus)")
        }
        return run
    }

    static func list(_ values: [Double]) -> String { values.map { String(format: "%.2f", $0) }.joined(separator: " ") }

    /// CPU seconds of this process (`who` 0) or its reaped children (-1); used by `bench codebook`.
    enum Step {
        static func cpuSeconds(_ who: Int32) -> Double {
            var usage = rusage()
            getrusage(who, &usage)
            func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
            return seconds(usage.ru_utime) + seconds(usage.ru_stime)
        }
    }

    static func median(_ values: [Double]) -> Double { values.isEmpty ? 0 : PairedRatios.median(values) }

    static func which(_ name: String) -> String? {
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let path = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }
}
