import Foundation

/// The jobs of archive scans, shared by any number of workers on any number of machines.
///
/// A job is claimed with a lease: the worker renews it while it works (`renew`), and a job whose
/// lease expired (its worker died, or lost the database for longer than a lease) is claimable
/// again. `complete` succeeds only for the current claim with a live lease, so every file ends
/// with exactly one result, written by exactly one worker. Lease times are the database
/// server's clock, so the workers' clocks need not agree.
///
/// Every method is one short statement or transaction; a connection that broke is reopened on
/// the next call (the call that saw it break throws `RegistryError.database`), so callers retry
/// with a backoff. `claim` and `complete` are safe to retry after such an error: `claim` with the
/// same token first returns the job that token already holds, and `complete` reports success if
/// its earlier attempt was written.
public protocol ScanQueue: Sendable {
    /// Adds a scan of `paths` (one job per path, in this order) and returns its id.
    func submit(paths: [String]) throws -> String

    /// Claims the oldest claimable job (queued, or running with an expired lease) for `lease`
    /// seconds, or returns nil when there is none. `token` identifies this claim (a fresh random
    /// string per claim; reuse it only to retry a claim that threw).
    func claim(token: String, worker: String, lease: Double, maxAttempts: Int) throws -> ScanJob?

    /// Extends the lease to `lease` seconds from now; false when the claim is no longer this
    /// job's (the lease expired or another worker holds it): the worker must then stop.
    func renew(_ job: ScanJob, lease: Double) throws -> Bool

    /// Writes the job's result; false (and nothing written) when the claim is no longer live.
    func complete(_ job: ScanJob, outcome: ScanOutcome) throws -> Bool

    /// Gives a claimed job back to the queue at once (the worker could not run it, e.g. the
    /// registry was unreachable); the claim does not count as an attempt.
    func release(_ job: ScanJob) throws

    /// The scan's counts, or nil when there is no scan `scanId`.
    func status(scanId: String) throws -> ScanStatus?

    /// Up to `limit` finished jobs of the scan after position `afterOrdinal` (-1: from the
    /// start), in submission order; page through a large scan with the last ordinal returned.
    func results(scanId: String, afterOrdinal: Int, limit: Int) throws -> [ScanResult]

    /// Whether any job of any scan is queued or running (an idle worker may exit when not).
    func hasOpenJobs() throws -> Bool
}

extension RegistryLocation {
    /// Opens the scan queue of the registry at this location. Scans need PostgreSQL: workers on
    /// many machines claim jobs with `SELECT ... FOR UPDATE SKIP LOCKED`, which SQLite has not.
    /// With `create`, an empty database is initialised (as `openRegistry(create: true)` does).
    public func openScanQueue(create: Bool) throws -> any ScanQueue {
        switch self {
        case .sqlite:
            throw RegistryError.unsupported(
                "archive scans need a PostgreSQL registry (--registry postgres://...): workers on many machines claim jobs with SELECT ... FOR UPDATE SKIP LOCKED")
        case let .postgres(url):
            return try PostgreSQLScanQueue(url: url, create: create)
        }
    }
}
