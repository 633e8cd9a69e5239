import ArgumentParser
import Foundation
import Hallmark

struct TraceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trace",
        abstract: "Name the account a leaked clip was issued to, window by window, with its false-attribution probability.",
        discussion: "Accepts several files or a directory (one line per file, NDJSON with --format json). Never names an account on weak evidence: the best candidate is then shown as such.")

    enum Format: String, ExpressibleByArgument, CaseIterable { case text, json }

    @OptionGroup var global: GlobalOptions
    @OptionGroup var analysis: AnalysisOptions

    @Argument(help: "Suspect videos, or directories of them.")
    var inputs: [String]

    @Option(help: "Output format: text or json.")
    var format: Format = .text

    func run() async throws {
        let cancellation = Terminal.cancelOnInterrupt()
        let json = format == .json
        let single = inputs.count == 1 && !isDirectory(inputs[0])
        let verifier = try reportingErrors(jsonFor: single && json ? inputs[0] : nil) { try analysis.verifier(global: global, requireKey: true) }
        if single {
            try await reportingErrors(jsonFor: json ? inputs[0] : nil) {
                let report = try await verifier.verify(URL(fileURLWithPath: inputs[0]), progress: Terminal.progressBar("tracing"), cancellation: cancellation)
                Terminal.clearProgress()
                print(json ? report.traceJSON() : report.traceText(), terminator: json ? "\n" : "")
            }
            return
        }
        try await BatchScan.verifyAll(inputs, jobs: analysis.jobs, verifier: verifier, cancellation: cancellation, json: json) { report in
            json ? report.traceJSON(compact: true) : report.summaryLine()
        }
    }
}
