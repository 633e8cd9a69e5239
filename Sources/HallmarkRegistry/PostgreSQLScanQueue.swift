import Foundation

/// `ScanQueue` on PostgreSQL: the tables of migration 5 (`scans`, `scan_jobs`), claims with
/// `SELECT ... FOR UPDATE SKIP LOCKED`, leases on the server's clock.
///
/// A claim locks one claimable row and skips rows other claimers have locked, so concurrent
/// workers never wait for each other nor take the same job; ownership after the claim is the
/// `claim_token` plus the lease, not a row lock (no transaction stays open while a file is
/// verified). One libpq connection per instance, used under `lock` (hence `@unchecked
/// Sendable`, as `PostgreSQLRegistry`).
public final class PostgreSQLScanQueue: ScanQueue, @unchecked Sendable {
    public let displayURL: String
    private let lock = NSLock()
    private let connection: PostgresConnection

    /// Milliseconds since 1970 on the server's clock (`clock_timestamp()`, not the transaction's `now()`).
    static let nowMilliseconds = "(EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::bigint"
    /// Rows per INSERT when submitting (two parameters each, well under libpq's 65535).
    static let submitBatch = 1000

    public init(url: String, create: Bool) throws {
        do {
            connection = try PostgresConnection(url: url)
        } catch let error as PostgresError {
            throw RegistryError.cannotOpen(path: PostgresURL.redact(url).display, message: error.message)
        }
        displayURL = connection.displayURL
        try PostgreSQLRegistry.mappingErrors(displayURL) {
            try PostgreSQLRegistry.prepareSchema(connection, create: create, migrations: Migrations.all)
        }
    }

    public func submit(paths: [String]) throws -> String {
        guard !paths.isEmpty else { throw RegistryError.invalidRecord("a scan needs at least one file") }
        let scanId = UUID().uuidString.lowercased()
        try locked {
            try connection.transaction {
                try connection.query(
                    "INSERT INTO scans (scan_id, created_at, file_count) VALUES ($1, \(Self.nowMilliseconds), $2)",
                    [.text(scanId), .int64(Int64(paths.count))])
                for start in stride(from: 0, to: paths.count, by: Self.submitBatch) {
                    let batch = paths[start..<min(start + Self.submitBatch, paths.count)]
                    var rows: [String] = []
                    var parameters: [PostgresParameter] = [.text(scanId)]
                    for (offset, path) in batch.enumerated() {
                        rows.append("($1, $\(parameters.count + 1), $\(parameters.count + 2))")
                        parameters += [.int64(Int64(start + offset)), .text(path)]
                    }
                    try connection.query(
                        "INSERT INTO scan_jobs (scan_id, ordinal, path) VALUES " + rows.joined(separator: ", "), parameters)
                }
            }
        }
        return scanId
    }

    public func claim(token: String, worker: String, lease: Double, maxAttempts: Int) throws -> ScanJob? {
        try locked {
            // A retried claim whose first attempt took effect: the job is already ours.
            let held = try connection.query(
                "SELECT job_id, scan_id, path, attempts FROM scan_jobs WHERE claim_token = $1 AND state = 'running'",
                [.text(token)])
            if held.rowCount > 0 { return try Self.job(held, token: token) }

            // Jobs whose every claim so far ended with a dead worker: fail them rather than
            // let one poisonous file take down worker after worker.
            try connection.query("""
                UPDATE scan_jobs SET state = 'failed', finished_at = \(Self.nowMilliseconds), lease_until = NULL,
                       error = 'given up after ' || attempts || ' claims: every worker died or lost its lease before finishing this file'
                WHERE job_id IN (SELECT job_id FROM scan_jobs
                                 WHERE state = 'running' AND lease_until < \(Self.nowMilliseconds) AND attempts >= $1
                                 FOR UPDATE SKIP LOCKED)
                """, [.int64(Int64(maxAttempts))])

            let claimed = try connection.query("""
                UPDATE scan_jobs
                SET state = 'running', claim_token = $1, worker = $2, attempts = attempts + 1,
                    lease_until = \(Self.nowMilliseconds) + $3
                WHERE job_id = (SELECT job_id FROM scan_jobs
                                WHERE state = 'queued' OR (state = 'running' AND lease_until < \(Self.nowMilliseconds))
                                ORDER BY job_id LIMIT 1
                                FOR UPDATE SKIP LOCKED)
                RETURNING job_id, scan_id, path, attempts
                """, [.text(token), .text(worker), .int64(Self.milliseconds(lease))])
            return claimed.rowCount > 0 ? try Self.job(claimed, token: token) : nil
        }
    }

    public func renew(_ job: ScanJob, lease: Double) throws -> Bool {
        try locked {
            try connection.query("""
                UPDATE scan_jobs SET lease_until = \(Self.nowMilliseconds) + $3
                WHERE job_id = $1 AND claim_token = $2 AND state = 'running' AND lease_until >= \(Self.nowMilliseconds)
                RETURNING job_id
                """, [.int64(job.jobId), .text(job.claimToken), .int64(Self.milliseconds(lease))]).rowCount == 1
        }
    }

    public func complete(_ job: ScanJob, outcome: ScanOutcome) throws -> Bool {
        let (state, report, error): (String, String?, String?) = switch outcome {
        case .report(let json): ("done", json, nil)
        case .failed(let message): ("failed", nil, message)
        }
        return try locked {
            let written = try connection.query("""
                UPDATE scan_jobs SET state = $3, report = $4, error = $5, finished_at = \(Self.nowMilliseconds), lease_until = NULL
                WHERE job_id = $1 AND claim_token = $2 AND state = 'running' AND lease_until >= \(Self.nowMilliseconds)
                RETURNING job_id
                """, [.int64(job.jobId), .text(job.claimToken), .text(state), .optionalText(report), .optionalText(error)])
            if written.rowCount == 1 { return true }
            // A retried completion whose first attempt was written (the token stays on the row).
            return try connection.query(
                "SELECT 1 FROM scan_jobs WHERE job_id = $1 AND claim_token = $2 AND state IN ('done', 'failed')",
                [.int64(job.jobId), .text(job.claimToken)]).rowCount == 1
        }
    }

    public func release(_ job: ScanJob) throws {
        _ = try locked {
            try connection.query("""
                UPDATE scan_jobs SET state = 'queued', claim_token = NULL, worker = NULL, lease_until = NULL,
                       attempts = GREATEST(attempts - 1, 0)
                WHERE job_id = $1 AND claim_token = $2 AND state = 'running'
                """, [.int64(job.jobId), .text(job.claimToken)])
        }
    }

    public func status(scanId: String) throws -> ScanStatus? {
        if scanId.utf8.contains(0) { return nil }
        return try locked {
            let result = try connection.query("""
                SELECT s.file_count,
                       COUNT(j.job_id) FILTER (WHERE j.state = 'queued'),
                       COUNT(j.job_id) FILTER (WHERE j.state = 'running'),
                       COUNT(j.job_id) FILTER (WHERE j.state = 'done'),
                       COUNT(j.job_id) FILTER (WHERE j.state = 'failed'),
                       COUNT(j.job_id) FILTER (WHERE j.state = 'running' AND j.lease_until < \(Self.nowMilliseconds))
                FROM scans s LEFT JOIN scan_jobs j ON j.scan_id = s.scan_id
                WHERE s.scan_id = $1
                GROUP BY s.file_count
                """, [.text(scanId)])
            guard result.rowCount == 1 else { return nil }
            let count = { (column: Int) in Int(result.int64(0, column) ?? 0) }
            return ScanStatus(scanId: scanId, files: count(0), queued: count(1), running: count(2), done: count(3),
                              failed: count(4), expiredLeases: count(5))
        }
    }

    public func results(scanId: String, afterOrdinal: Int, limit: Int) throws -> [ScanResult] {
        if scanId.utf8.contains(0) { return [] }
        return try locked {
            let result = try connection.query("""
                SELECT ordinal, path, state, report, error, attempts FROM scan_jobs
                WHERE scan_id = $1 AND state IN ('done', 'failed') AND ordinal > $2
                ORDER BY ordinal LIMIT $3
                """, [.text(scanId), .int64(Int64(afterOrdinal)), .int64(Int64(max(1, limit)))])
            return try (0..<result.rowCount).map { row in
                guard let ordinal = result.int64(row, 0), let path = result.text(row, 1) else {
                    throw RegistryError.database(path: displayURL, message: "a scan job row has no ordinal or path")
                }
                let outcome: ScanOutcome = result.text(row, 2) == "done"
                    ? .report(result.text(row, 3) ?? "")
                    : .failed(result.text(row, 4) ?? "failed without a message")
                return ScanResult(ordinal: Int(ordinal), path: path, outcome: outcome, attempts: Int(result.int64(row, 5) ?? 0))
            }
        }
    }

    public func hasOpenJobs() throws -> Bool {
        try locked {
            try connection.query("SELECT EXISTS (SELECT 1 FROM scan_jobs WHERE state IN ('queued', 'running'))").bool(0, 0) ?? false
        }
    }

    // MARK: Internals

    /// Tests reach the raw connection through this (e.g. to age a lease); the lock is held.
    func withConnection<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        try locked { try body(connection) }
    }

    private func locked<T>(_ body: () throws -> T) throws -> T {
        lock.lock()
        defer { lock.unlock() }
        return try PostgreSQLRegistry.mappingErrors(displayURL, body)
    }

    /// A lease in whole milliseconds, at least 1.
    static func milliseconds(_ seconds: Double) -> Int64 {
        Int64(max(1, (seconds * 1000).rounded()))
    }

    private static func job(_ result: PostgresResult, token: String) throws -> ScanJob {
        guard let jobId = result.int64(0, 0), let scanId = result.text(0, 1), let path = result.text(0, 2) else {
            throw PostgresError(kind: .query, message: "a claimed scan job row is incomplete", sqlState: nil)
        }
        return ScanJob(jobId: jobId, scanId: scanId, path: path, claimToken: token, attempts: Int(result.int64(0, 3) ?? 1))
    }
}
