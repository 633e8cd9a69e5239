import ArgumentParser
import Foundation
import Hallmark
import HallmarkRegistry

struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Verify the files of archive scans, claimed from a shared PostgreSQL registry.",
        discussion: """
            Run any number, on any machine that sees the files at their submitted paths. Each file is \
            claimed with a lease (--lease seconds, renewed while it is verified): the file of a worker \
            that dies goes back to the queue when its lease expires, and a result is written only \
            under a live lease, so every file gets exactly one. When PostgreSQL restarts, the worker \
            retries with a backoff (one line on stderr per attempt) and carries on. Ctrl-C or SIGTERM: \
            running files go back to the queue, exit 130. --jobs sets the files verified at once; the \
            other analysis options are those of verify. Without a watermark key, reports say \
            watermark.checked: false.
            """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var analysis: AnalysisOptions

    @Option(help: "Lease on a claimed file, in seconds (renewed every third of it).")
    var lease: Double = 60

    @Flag(help: "Exit once no job of any scan is queued or running.")
    var exitWhenIdle = false

    @Option(help: .hidden)
    var pollInterval: Double = 1

    func validate() throws {
        guard lease >= 0.5, lease <= 86_400 else { throw ValidationError("--lease must be between 0.5 and 86400 seconds") }
        guard pollInterval > 0, pollInterval <= 60 else { throw ValidationError("--poll-interval must be between 0 and 60 seconds") }
    }

    func run() async throws {
        let cancellation = Terminal.cancelOnInterrupt()
        var options = ScanWorker.Options()
        options.lease = lease
        options.jobs = analysis.jobs
        options.exitWhenIdle = exitWhenIdle
        options.pollInterval = pollInterval
        let (queue, verifier) = try reportingErrors {
            let queue = try ScanCommand.openQueue(global, create: false)
            let keyed = try analysis.verifier(global: global, requireKey: false)
            // Reports name the worker, not its registry URL (which may hold a password).
            var verifyOptions = keyed.options
            verifyOptions.command = "hallmark worker (\(options.name))"
            return (queue, Verifier(key: keyed.key, registry: keyed.registry, options: verifyOptions))
        }
        let location = try global.registryLocation()
        Self.log("\(options.name) draining \(location?.redacted ?? "?"): \(options.jobs) file(s) at a time, lease \(RetryBackoff.seconds(lease))"
                 + (verifier.key == nil ? "; no watermark key: reports say watermark.checked: false" : ""))
        let summary = await ScanWorker(queue: queue, verifier: verifier, options: options, log: Self.log).run(cancellation: cancellation)
        Self.log("\(summary.done) verified, \(summary.failed) failed, \(summary.discarded) discarded (lease lost), \(summary.released) given back")
        if cancellation.isCancelled { throw ExitCode(HallmarkExit.interrupted) }
    }

    @Sendable static func log(_ message: String) {
        FileHandle.standardError.write(Data("hallmark worker: \(message)\n".utf8))
    }
}
