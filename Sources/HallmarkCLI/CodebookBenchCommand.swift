import ArgumentParser
import Foundation
import HallmarkSignal

/// `hallmark bench codebook`: how long informed detection takes to score a registry of issued
/// marks, on one core (the scorer itself is single-threaded; a trace runs one scoring per tiling
/// read and per window).
struct CodebookBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "codebook",
        abstract: "Time informed detection against N issued marks on one core.",
        discussion: """
            Scores one set of coded-bit soft values (one planted codeword at half strength, as in an average \
            of two copies, plus noise) against N random issued mark ids, as `trace --candidates registry` \
            does for each tiling and window: the plain correlation of every codeword, then the leave-one-out \
            rescoring of the strongest. Prints each run's wall and CPU time and the median; checks the \
            planted mark ranks first.
            """)

    @Option(help: "Issued marks to score.")
    var candidates: Int = 1_000_000

    @Option(help: "Timed runs.")
    var runs: Int = 5

    func validate() throws {
        guard (1...50_000_000).contains(candidates) else { throw ValidationError("--candidates must be between 1 and 50,000,000") }
        guard (1...100).contains(runs) else { throw ValidationError("--runs must be between 1 and 100") }
    }

    func run() throws {
        var random = KeyedRandom(key: [UInt8](repeating: 7, count: 32), domain: "codebook-bench")
        let ids = (0..<candidates).map { _ in random.next() }
        let planted = ids[candidates / 2]
        let encoder = CodewordEncoder()
        // Half the codeword's amplitude against unit noise: z about 258^0.5 / 2 / 1.1 ≈ 7 (the best of 10^6 unrelated ones is about 5).
        let soft = encoder.signs(planted).map { $0 / 2 + Float(random.nextGaussian()) }
        let tracer = CollusionTracer(encoder: encoder)
        var walls: [Double] = [], cpus: [Double] = []
        var ranksFirst = true
        print("| run | candidates | wall s | CPU s | candidates per second |")
        print("|---|---|---|---|---|")
        for run in 1...runs {
            let cpu0 = BenchCommand.Step.cpuSeconds(0), t0 = Date()
            let scored = tracer.score(soft: soft, candidates: ids, multiplicity: Double(candidates))
            let wall = Date().timeIntervalSince(t0), cpu = BenchCommand.Step.cpuSeconds(0) - cpu0
            ranksFirst = ranksFirst && scored.first?.markId == planted
            walls.append(wall)
            cpus.append(cpu)
            print(String(format: "| %d | %d | %.3f | %.3f | %.2e |", run, candidates, wall, cpu, Double(candidates) / wall))
        }
        print("")
        print(String(format: "%d candidates on one core: median %.3f s wall (min %.3f, max %.3f), %.3f s CPU; target < 2 s. Planted mark ranked first: %@.",
                     candidates, BenchCommand.median(walls), walls.min()!, walls.max()!, BenchCommand.median(cpus), ranksFirst ? "yes" : "NO"))
        if !ranksFirst { throw ExitCode(1) }
    }
}
