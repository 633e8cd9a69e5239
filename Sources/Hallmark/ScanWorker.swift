import Foundation
import HallmarkMedia
import HallmarkRegistry

/// Drains archive scans: claims jobs from a `ScanQueue`, verifies each file exactly as
/// `verify --format json` does, and writes the report with the claim's token.
///
/// Structure: `run` is a task group holding up to `jobs` file tasks and a ticker; each file task
/// is itself a group of two children, the verify and its lease heartbeat. The heartbeat runs on
/// a thread of its own (`DedicatedThreadExecutor`), so a busy pool cannot starve it. When the
/// lease is lost (the heartbeat finds the claim gone) the verify is cancelled and nothing is
/// written; when the worker is cancelled (SIGINT/SIGTERM) running files are released to the
/// queue. Every queue call goes through `RetryBackoff`: a restarting PostgreSQL costs time, never
/// a crash or a lost job.
public struct ScanWorker: Sendable {
    public struct Options: Sendable {
        /// Lease length in seconds; renewed every third of it while a file is verified.
        public var lease: Double = 60
        /// Files verified at once.
        public var jobs: Int = 2
        /// Exit when no job of any scan is queued or running (others' running jobs may still come back).
        public var exitWhenIdle = false
        /// Seconds between looks at an empty queue.
        public var pollInterval: Double = 1
        /// Claims a file may take before it is failed (its workers kept dying on it).
        public var maxAttempts = 5
        /// Who claims, as stored with the job (host and process id by default).
        public var name = "\(ProcessInfo.processInfo.hostName):\(getpid())"

        public init() {}
    }

    /// What one worker did.
    public struct Summary: Sendable {
        public var done = 0
        public var failed = 0
        /// Results not written because the lease was lost first (another worker redoes the file).
        public var discarded = 0
        /// Files given back to the queue (registry errors while verifying, or shutdown).
        public var released = 0
    }

    public let queue: any ScanQueue
    public let verifier: Verifier
    public let options: Options
    public let log: @Sendable (String) -> Void
    let backoff: RetryBackoff

    public init(queue: any ScanQueue, verifier: Verifier, options: Options, log: @escaping @Sendable (String) -> Void) {
        self.queue = queue
        self.verifier = verifier
        self.options = options
        self.log = log
        backoff = RetryBackoff(log: log)
    }

    private enum Event: Sendable {
        case tick
        case finished(JobEnd)
    }

    fileprivate enum JobEnd: Sendable {
        case done, failed, discarded, released
    }

    /// Claims and verifies until `cancellation` (or, with `exitWhenIdle`, until nothing is open).
    public func run(cancellation: Cancellation) async -> Summary {
        var summary = Summary()
        await withTaskGroup(of: Event.self) { group in
            var active = 0
            var ticking = false
            while !cancellation.isCancelled {
                while active < options.jobs, !cancellation.isCancelled, let job = await claim(cancellation) {
                    group.addTask { .finished(await self.process(job, worker: cancellation)) }
                    active += 1
                }
                if active == 0, options.exitWhenIdle, !cancellation.isCancelled {
                    let open = (try? await backoff.run("looking for open jobs", cancellation: cancellation) { try queue.hasOpenJobs() }) ?? false
                    if !open { break }
                }
                if !ticking {
                    ticking = true
                    let interval = options.pollInterval
                    group.addTask {
                        try? await Task.sleep(for: .milliseconds(Int(interval * 1000)))
                        return .tick
                    }
                }
                switch await group.next() {
                case .tick?: ticking = false
                case .finished(let end)?:
                    active -= 1
                    summary.add(end)
                case nil: break
                }
            }
            // Shutting down: the file tasks see `cancellation` and release their jobs.
            for await case .finished(let end) in group { summary.add(end) }
        }
        return summary
    }

    /// The next job, or nil when none is claimable (or the worker is stopping). A retried claim
    /// keeps its token, so a claim that took effect before the connection broke is not orphaned.
    private func claim(_ cancellation: Cancellation) async -> ScanJob? {
        let token = UUID().uuidString.lowercased()
        return try? await backoff.run("claiming a job", cancellation: cancellation) {
            try queue.claim(token: token, worker: options.name, lease: options.lease, maxAttempts: options.maxAttempts)
        }
    }

    private enum Part: Sendable {
        /// The verify ended: a report, or a failure that belongs to the file.
        case outcome(ScanOutcome)
        /// The verify could not run for a reason that is not the file's (e.g. the registry).
        case transient(String)
        case cancelled
        case leaseLost
        case heartbeatStopped
    }

    /// Verifies one claimed file with its heartbeat beside it, then writes (or discards, or releases) the result.
    private func process(_ job: ScanJob, worker: Cancellation) async -> JobEnd {
        let stop = Cancellation()
        let ending: Part = await withTaskGroup(of: Part.self) { group in
            // A thread per file's heartbeat: its waits block that thread only.
            let executor = DedicatedThreadExecutor(label: "hallmark.scan.heartbeat")
            group.addTask(executorPreference: executor) { await heartbeat(job, stop: stop, worker: worker) }
            group.addTask { await verify(job, stop: stop) }
            var ending: Part = .cancelled
            for await part in group {
                switch part {
                case .leaseLost:
                    ending = .leaseLost
                    stop.cancel()
                case .heartbeatStopped:
                    break
                case .outcome, .transient, .cancelled:
                    if case .leaseLost = ending { break }
                    ending = part
                    stop.cancel()  // ends the heartbeat
                }
            }
            return ending
        }
        switch ending {
        case .outcome(let outcome):
            let written = (try? await backoff.run("writing the result of \(job.path)", cancellation: nil) {
                try queue.complete(job, outcome: outcome)
            }) ?? false
            if !written {
                log("the lease on \(job.path) expired before its result was written; result discarded (another worker verifies it)")
                return .discarded
            }
            if case .outcome(.failed) = ending { return .failed }
            return .done
        case .leaseLost:
            log("lost the lease on \(job.path) (another worker holds it now); stopped it, nothing written")
            return .discarded
        case .transient(let message):
            log("could not verify \(job.path): \(message); gave it back to the queue")
            await giveBack(job)
            try? await Task.sleep(for: .seconds(1))
            return .released
        case .cancelled, .heartbeatStopped:
            await giveBack(job)
            return .released
        }
    }

    private func giveBack(_ job: ScanJob) async {
        // A release that fails is not retried for long: the lease expires on its own.
        let attempts = RetryBackoff(initial: 0.25, maximum: 1, log: log)
        _ = try? await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await attempts.run("giving back \(job.path)", cancellation: nil) { try queue.release(job) } }
            group.addTask { try await Task.sleep(for: .seconds(5)); throw CancellationError() }
            try await group.next()
            group.cancelAll()
        }
    }

    /// Renews the lease every third of it until `stop`; `.leaseLost` when the claim is gone.
    /// A renewal that fails (the database is away) is tried again at the next beat: the server
    /// decides whether the lease outlived the outage.
    ///
    /// Runs on a thread of its own (see `process`) and paces itself with `usleep`, not
    /// `Task.sleep` (whose wake-ups are scheduled through the global executor the decodes keep
    /// busy). Measured with four verifies on two cores and a 0.5 s beat: with `Task.sleep` on one
    /// shared heartbeat executor, renewals came up to 1.7 s late and leases were lost; like this,
    /// none were lost (`scripts/scan-faults.sh`, scenario busy).
    private func heartbeat(_ job: ScanJob, stop: Cancellation, worker: Cancellation) async -> Part {
        let beat = options.lease / 3
        var next = Date().addingTimeInterval(beat)
        while !stop.isCancelled {
            if worker.isCancelled { stop.cancel(); break }
            usleep(useconds_t(min(0.1, beat) * 1_000_000))
            guard Date() >= next, !stop.isCancelled else { continue }
            next = Date().addingTimeInterval(beat)
            do {
                if try !queue.renew(job, lease: options.lease) {
                    return .leaseLost
                }
            } catch {
                log("renewing the lease on \(job.path) failed: \(error); trying again in \(RetryBackoff.seconds(beat))")
            }
        }
        return .heartbeatStopped
    }

    /// The verify `verify --format json` runs, its report as the one line it prints.
    private func verify(_ job: ScanJob, stop: Cancellation) async -> Part {
        do {
            let report = try await verifier.verify(URL(fileURLWithPath: job.path), cancellation: stop)
            if stop.isCancelled { return .cancelled }
            return .outcome(.report(report.json(compact: true)))
        } catch let error as HallmarkError {
            switch error.kind {
            case .invalidInput: return .outcome(.failed("\(error)"))
            case .cancelled: return .cancelled
            case .configuration, .cannotWrite: return .transient(error.message)
            }
        } catch let error as MediaError {
            return error.kind == .cancelled || stop.isCancelled ? .cancelled : .outcome(.failed("\(error)"))
        } catch {
            return stop.isCancelled ? .cancelled : .outcome(.failed("\(error)"))
        }
    }
}

extension ScanWorker.Summary {
    fileprivate mutating func add(_ end: ScanWorker.JobEnd) {
        switch end {
        case .done: done += 1
        case .failed: failed += 1
        case .discarded: discarded += 1
        case .released: released += 1
        }
    }
}
