import ArgumentParser
import Foundation
import Hallmark
import HallmarkRegistry

struct ScanStatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Count a scan's files: queued, running, done, failed.")

    enum Format: String, ExpressibleByArgument, CaseIterable { case text, json }

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The scan id `scan submit` printed.")
    var scanId: String

    @Option(help: "Output format: text or json.")
    var format: Format = .text

    func run() throws {
        let status = try reportingErrors {
            let queue = try ScanCommand.openQueue(global, create: false)
            guard let status = try ScanCommand.querying({ try queue.status(scanId: scanId) }) else {
                throw HallmarkError(.invalidInput, "no scan \(scanId) in this registry")
            }
            return status
        }
        switch format {
        case .json:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            var object = (try? JSONSerialization.jsonObject(with: encoder.encode(status)) as? [String: Any]) ?? [:]
            object["finished"] = status.finished
            let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
            print(String(decoding: data, as: UTF8.self))
        case .text:
            let expired = status.expiredLeases > 0 ? " (\(status.expiredLeases) with an expired lease, to be claimed again)" : ""
            print("scan \(status.scanId): \(status.files) files: \(status.queued) queued, \(status.running) running\(expired), \(status.done) done, \(status.failed) failed" + (status.finished ? " (finished)" : ""))
        }
    }
}
