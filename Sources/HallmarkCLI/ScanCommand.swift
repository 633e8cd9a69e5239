import ArgumentParser
import Foundation
import Hallmark
import HallmarkRegistry

/// `hallmark scan`: archive scans that any number of `hallmark worker`s drain.
struct ScanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scan",
        abstract: "Archive scans on a shared PostgreSQL registry: submit files, follow them, read the reports.",
        discussion: """
            `scan submit` queues one job per video file and prints the scan id; `hallmark worker` \
            processes (any number, on any machine with the files mounted at the same paths) verify \
            them; `scan status` counts the jobs; `scan results` prints one verify report per file. \
            Scans need a PostgreSQL registry (--registry postgres://...).
            """,
        subcommands: [ScanSubmitCommand.self, ScanStatusCommand.self, ScanResultsCommand.self])

    /// The scan queue of `--registry` (a configuration error, exit 78, when it cannot be opened).
    static func openQueue(_ global: GlobalOptions, create: Bool) throws -> any ScanQueue {
        let location = try global.registryLocation() ?? .sqlite(path: global.resolvedHome.registryURL.path)
        do { return try location.openScanQueue(create: create) } catch {
            throw HallmarkError(.configuration, "registry: \(error)")
        }
    }

    /// Runs a queue call, turning a database failure into a configuration error (exit 78).
    static func querying<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as RegistryError {
            throw HallmarkError(.configuration, "registry: \(error)")
        }
    }
}
