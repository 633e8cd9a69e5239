import ArgumentParser
import Foundation
import Hallmark

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Look for Hallmark's watermarks in a video and report who it was issued to.",
        discussion: "Exit code 0 whenever the analysis ran, whatever the verdict; read the report for the verdict.")

    enum Format: String, ExpressibleByArgument, CaseIterable { case text, json, html }

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The suspect video.")
    var input: String

    @Option(help: "Report format: text, json or html.")
    var format: Format = .text

    @Option(name: .short, help: ArgumentHelp("Write the report to this file instead of stdout.", valueName: "report"))
    var output: String?

    @Option(help: ArgumentHelp("PEM bundle of trusted C2PA roots (default: HOME/keys/root-ca.pem).", valueName: "pem"))
    var trustAnchors: String?

    @Option(help: "Declare the watermark detected at or below this false-positive probability.")
    var threshold: Double = 1e-9

    func validate() throws {
        guard threshold > 0, threshold < 1 else { throw ValidationError("--threshold must be between 0 and 1") }
    }

    func run() throws {
        let cancellation = Terminal.cancelOnInterrupt()
        try reportingErrors {
            var options = VerifyOptions(threshold: threshold)
            options.command = CommandLine.arguments.joined(separator: " ")
            if let trustAnchors { options.trustAnchorsPEM = try ContentCredentials.trustAnchors(path: trustAnchors, home: global.resolvedHome) }
            let verifier = try Verifier(home: global.resolvedHome, registryLocation: try global.registryLocation(), options: options)
            let report = try verifier.verify(URL(fileURLWithPath: input), progress: Terminal.progressBar("verifying"), cancellation: cancellation)
            Terminal.clearProgress()
            let rendered: String
            switch format {
            case .text: rendered = report.text()
            case .json: rendered = report.json() + "\n"
            case .html: rendered = HTMLReport.render(report)
            }
            if let output {
                let destination = try AtomicOutput(destination: URL(fileURLWithPath: output), input: URL(fileURLWithPath: input))
                do { try Data(rendered.utf8).write(to: destination.temporary) } catch {
                    throw HallmarkError(.cannotWrite, "cannot write \(output): \(error.localizedDescription)")
                }
                try destination.commit()
            } else {
                print(rendered, terminator: "")
            }
        }
    }
}
