import ArgumentParser
import Foundation
import Hallmark
import HallmarkRegistry

struct ScanResultsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "results",
        abstract: "Print a scan's reports: one line per file, in submission order.",
        discussion: """
            --format json prints each file's report as `verify --format json` writes it (one line), \
            and `{"error", "file"}` for a file that could not be verified; text prints one summary \
            line per file. Exit 65 when any file failed; 75 when the scan is not finished (the \
            finished files are printed; --wait waits for the rest).
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable { case text, json }

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The scan id `scan submit` printed.")
    var scanId: String

    @Option(help: "Output format: json (one report per line) or text.")
    var format: Format = .json

    @Flag(help: "Wait until every file has a result.")
    var wait = false

    /// Rows read per query.
    static let page = 500

    func run() async throws {
        let cancellation = Terminal.cancelOnInterrupt()
        let queue = try reportingErrors { try ScanCommand.openQueue(global, create: false) }
        var status = try reportingErrors { try fetchStatus(queue) }
        while wait, !status.finished {
            if cancellation.isCancelled { throw ExitCode(HallmarkExit.interrupted) }
            try await Task.sleep(for: .seconds(1))
            status = try reportingErrors { try self.fetchStatus(queue) }
        }
        var failures = 0
        var printed = 0
        var after = -1
        while true {
            let results = try reportingErrors { try ScanCommand.querying { try queue.results(scanId: scanId, afterOrdinal: after, limit: Self.page) } }
            for result in results {
                if case .failed = result.outcome { failures += 1 }
                print(line(result))
            }
            printed += results.count
            guard let last = results.last, results.count == Self.page else { break }
            after = last.ordinal
        }
        if printed < status.files {
            Terminal.error("scan \(scanId) is not finished: \(printed) of \(status.files) files have results (hallmark scan status \(scanId); --wait waits)")
            throw ExitCode(HallmarkExit.incomplete)
        }
        if failures > 0 { throw ExitCode(HallmarkExit.invalidInput) }
    }

    func fetchStatus(_ queue: any ScanQueue) throws -> ScanStatus {
        guard let status = try ScanCommand.querying({ try queue.status(scanId: scanId) }) else {
            throw HallmarkError(.invalidInput, "no scan \(scanId) in this registry")
        }
        return status
    }

    /// The line `verify` prints for this file in a batch: the report (or its summary), or the error.
    func line(_ result: ScanResult) -> String {
        switch (result.outcome, format) {
        case (.report(let json), .json):
            return json
        case (.report(let json), .text):
            let report = try? JSONDecoder().decode(VerificationReport.self, from: Data(json.utf8))
            return report?.summaryLine() ?? "\(result.path): (report unreadable)"
        case (.failed(let message), .json):
            return BatchOutput.errorLine(file: result.path, message: message)
        case (.failed(let message), .text):
            return "\(result.path): error: \(message)"
        }
    }
}
