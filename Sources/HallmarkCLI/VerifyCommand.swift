import ArgumentParser
import Foundation
import Hallmark

/// Options shared by `verify` and `trace`.
struct AnalysisOptions: ParsableArguments {
    @Option(help: ArgumentHelp("PEM bundle of trusted C2PA roots (default: HOME/keys/root-ca.pem).", valueName: "pem"))
    var trustAnchors: String?

    @Option(help: "Declare the watermark detected at or below this false-positive probability.")
    var threshold: Double = 1e-9

    @Option(help: "Length in seconds of the time windows attributed separately.")
    var window: Double = 1

    @Option(help: "Files analysed at once when given several files or a directory.")
    var jobs: Int = 2

    func validate() throws {
        guard threshold > 0, threshold < 1 else { throw ValidationError("--threshold must be between 0 and 1") }
        guard window > 0 else { throw ValidationError("--window must be positive") }
        guard jobs >= 1, jobs <= 64 else { throw ValidationError("--jobs must be between 1 and 64") }
    }

    func verifier(global: GlobalOptions) throws -> Verifier {
        var options = VerifyOptions(threshold: threshold)
        options.windowSeconds = window
        options.command = CommandLine.arguments.joined(separator: " ")
        if let trustAnchors { options.trustAnchorsPEM = try ContentCredentials.trustAnchors(path: trustAnchors, home: global.resolvedHome) }
        return try Verifier(home: global.resolvedHome, registryLocation: try global.registryLocation(), options: options)
    }
}

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Look for Hallmark's watermarks and Content Credentials in videos and report who they were issued to.",
        discussion: """
            One file: a report in the chosen format. Several files or a directory: one line per file as \
            results arrive (NDJSON with --format json); a file that cannot be read gets a line with its \
            error and the scan goes on (exit 65 at the end if any failed). Exit code 0 whenever the \
            analysis ran, whatever the verdict.
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable { case text, json, html }

    @OptionGroup var global: GlobalOptions
    @OptionGroup var analysis: AnalysisOptions

    @Argument(help: "Suspect videos, or directories of them.")
    var inputs: [String]

    @Option(help: "Report format: text, json or html.")
    var format: Format = .text

    @Option(name: .short, help: ArgumentHelp("Write the report to this file instead of stdout (one input only).", valueName: "report"))
    var output: String?

    func validate() throws {
        guard !inputs.isEmpty else { throw ValidationError("give at least one video") }
        let batch = inputs.count > 1 || isDirectory(inputs[0])
        if batch && output != nil { throw ValidationError("-o takes one input; several inputs are written to stdout") }
        if batch && format == .html { throw ValidationError("--format html takes one input") }
    }

    func run() throws {
        let cancellation = Terminal.cancelOnInterrupt()
        let verifier = try reportingErrors { try analysis.verifier(global: global) }
        if inputs.count == 1 && !isDirectory(inputs[0]) {
            try reportingErrors {
                let details = try verifier.analyse(URL(fileURLWithPath: inputs[0]), progress: Terminal.progressBar("verifying"), cancellation: cancellation)
                Terminal.clearProgress()
                let rendered: String
                switch format {
                case .text: rendered = details.report.text()
                case .json: rendered = details.report.json() + "\n"
                case .html: rendered = HTMLReport.render(details)
                }
                try writeOut(rendered)
            }
            return
        }
        let files = InputExpansion.expand(inputs)
        let outputFormat = self.format
        let json = outputFormat == .json
        try BatchScan.verifyAll(files, jobs: analysis.jobs, verifier: verifier, cancellation: cancellation, json: json) { report in
            json ? report.json(compact: true) : report.summaryLine()
        }
    }

    func writeOut(_ rendered: String) throws {
        guard let output else {
            print(rendered, terminator: "")
            return
        }
        let destination = try AtomicOutput(destination: URL(fileURLWithPath: output), input: URL(fileURLWithPath: inputs[0]))
        do { try Data(rendered.utf8).write(to: destination.temporary) } catch {
            throw HallmarkError(.cannotWrite, "cannot write \(output): \(error.localizedDescription)")
        }
        try destination.commit()
    }
}

func isDirectory(_ path: String) -> Bool {
    var flag: ObjCBool = false
    return FileManager.default.fileExists(atPath: path, isDirectory: &flag) && flag.boolValue
}

enum BatchOutput {
    /// `{"file": ..., "error": ...}` on one line.
    static func errorLine(file: String, message: String) -> String {
        let object: [String: Any] = ["file": file, "error": message]
        return (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))
            .map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}
