import ArgumentParser
import Foundation
import Hallmark

struct TraceCommand: ParsableCommand {
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

    func run() throws {
        let cancellation = Terminal.cancelOnInterrupt()
        let verifier = try reportingErrors { try analysis.verifier(global: global) }
        let files = InputExpansion.expand(inputs)
        let single = files.count == 1 && !isDirectory(inputs[0])
        let outputFormat = self.format
        if single {
            try reportingErrors {
                let report = try verifier.verify(URL(fileURLWithPath: files[0]), progress: Terminal.progressBar("tracing"), cancellation: cancellation)
                Terminal.clearProgress()
                print(outputFormat == .json ? report.traceJSON() : report.traceText(), terminator: outputFormat == .json ? "\n" : "")
            }
            return
        }
        let json = outputFormat == .json
        try BatchScan.verifyAll(files, jobs: analysis.jobs, verifier: verifier, cancellation: cancellation, json: json) { report in
            json ? report.traceJSON(compact: true) : report.summaryLine()
        }
    }
}
