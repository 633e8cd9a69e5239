import ArgumentParser
import Foundation
import Hallmark

/// Options shared by `verify` and `trace`.
struct AnalysisOptions: ParsableArguments {
    @Option(help: ArgumentHelp("PEM bundle of trusted C2PA roots (default: none; see --trust-dev-root).", valueName: "pem"))
    var trustAnchors: String?

    @Flag(help: "Trust the home's development root CA (testing only: its private key is in HOME/keys).")
    var trustDevRoot = false

    @Option(help: "Declare the watermark detected at or below this false-positive probability.")
    var threshold: Double = 1e-9

    @Option(help: "Length in seconds of the time windows attributed separately.")
    var window: Double = 1

    @Option(help: ArgumentHelp("Marks the clip is scored against: source (the copies of its source clip), registry (every issued mark) or auto (the source when one is found, else the registry).", valueName: "set"))
    var candidates: CandidateMode = .auto

    @Option(help: "Files analysed at once when given several files or a directory.")
    var jobs: Int = 2

    @Flag(help: "Decode every frame at once (default: the reference frames first, every frame only when they do not settle the verdict).")
    var allFrames = false

    func validate() throws {
        guard threshold > 0, threshold < 1 else { throw ValidationError("--threshold must be between 0 and 1") }
        guard window > 0 else { throw ValidationError("--window must be positive") }
        guard jobs >= 1, jobs <= 64 else { throw ValidationError("--jobs must be between 1 and 64") }
    }

    /// Without `requireKey`, a home with no watermark key still verifies Content Credentials
    /// (the report says the watermark was not checked); with it, the missing key is an error.
    func verifier(global: GlobalOptions, requireKey: Bool) throws -> Verifier {
        var options = VerifyOptions(threshold: threshold)
        options.windowSeconds = window
        options.command = CommandLine.arguments.joined(separator: " ")
        options.trustDevelopmentRoot = trustDevRoot
        options.candidateMode = candidates
        options.referenceFramesFirst = !allFrames
        if let trustAnchors {
            let anchors = try ContentCredentials.trustAnchors(path: trustAnchors, home: global.resolvedHome)
            options.trustAnchorsPEM = anchors.pem
            options.trustAnchorsDescription = anchors.description
        }
        return try Verifier(home: global.resolvedHome, registryLocation: try global.registryLocation(), options: options, requireKey: requireKey)
    }
}

struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Look for Hallmark's watermarks and Content Credentials in videos and report who they were issued to.",
        discussion: """
            One file: a report in the chosen format. Several files or a directory: one line per file as \
            results arrive (NDJSON with --format json); a file that cannot be read gets a line with its \
            error and the scan goes on (exit 65 at the end if any failed). Exit code 0 whenever the \
            analysis ran, whatever the verdict. Without a watermark key (HOME/watermark.key), Content \
            Credentials and the visible mark are still checked and the report says the invisible \
            watermark was not (watermark.checked: false).
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

    func run() async throws {
        let cancellation = Terminal.cancelOnInterrupt()
        let json = format == .json
        let single = inputs.count == 1 && !isDirectory(inputs[0])
        let verifier = try reportingErrors(jsonFor: single && json ? inputs[0] : nil) { try analysis.verifier(global: global, requireKey: false) }
        if single {
            try await reportingErrors(jsonFor: json ? inputs[0] : nil) {
                let details = try await verifier.analyse(URL(fileURLWithPath: inputs[0]), progress: Terminal.progressBar("verifying"), cancellation: cancellation)
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
        try await BatchScan.verifyAll(inputs, jobs: analysis.jobs, verifier: verifier, cancellation: cancellation, json: json) { report in
            json ? report.json(compact: true) : report.summaryLine()
        }
    }

    func writeOut(_ rendered: String) throws {
        guard let output else {
            print(rendered, terminator: "")
            return
        }
        let destination = try AtomicOutput(destination: URL(fileURLWithPath: output), input: URL(fileURLWithPath: inputs[0]))
        try destination.write(Data(rendered.utf8))
        try destination.commit()
    }
}

extension CandidateMode: ExpressibleByArgument {}

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
