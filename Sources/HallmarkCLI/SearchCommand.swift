import ArgumentParser
import Foundation
import Hallmark
import HallmarkFingerprint

/// `hallmark search INPUT`: reverse video search only (the `source` block of `verify`).
struct SearchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Find the stamped source clips a video comes from, by content fingerprint (watermark or not).",
        discussion: "Prints the `source` block of `verify`: matches best first with offset, accounts, mark ids and a calibrated false-match probability; the best near-miss is shown as such, never as a match.")

    enum Format: String, ExpressibleByArgument, CaseIterable { case text, json }

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The suspect video.") var input: String
    @Option(help: "text or json.") var format: Format = .text

    func run() async throws {
        try reportingErrors(jsonFor: format == .json ? input : nil) {
            let registry = try RegistryCommand.open(global)
            let fingerprint = try ClipFingerprint.of(URL(fileURLWithPath: input), suspect: true, cancellation: Terminal.cancelOnInterrupt())
            let section = SourceSearch().report(fingerprint, registry: registry)
            if format == .json {
                print(section.json(file: input))
            } else {
                print("file: \(input)")
                print(section.textLines().joined(separator: "\n"))
            }
        }
    }
}
