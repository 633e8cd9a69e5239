import Foundation

/// The SQL engines a registry can live in.
enum SQLDialect: Sendable {
    case sqlite
    case postgres
}

/// One SQL statement of a migration, in the form each engine needs. Most statements are
/// portable and written once (a string literal); the few that are not spell out both forms.
struct MigrationStatement: Sendable, ExpressibleByStringLiteral {
    let sqlite: String
    let postgres: String

    /// The same SQL for every engine.
    init(stringLiteral portable: String) {
        sqlite = portable
        postgres = portable
    }

    init(sqlite: String, postgres: String) {
        self.sqlite = sqlite
        self.postgres = postgres
    }

    func sql(for dialect: SQLDialect) -> String {
        switch dialect {
        case .sqlite: sqlite
        case .postgres: postgres
        }
    }
}

/// One step of the registry schema. Versions start at 1 and increase by one; a released
/// migration is never edited, only followed by a new one.
struct Migration: Sendable {
    let version: Int
    /// Executed in order inside the migration transaction.
    let statements: [MigrationStatement]

    func sql(for dialect: SQLDialect) -> [String] {
        statements.map { $0.sql(for: dialect) }
    }
}

/// The registry schema history, applied in order by `SQLiteRegistry` and `PostgreSQLRegistry`
/// on open: one ordered list, so both stores always have the same schema at the same version.
///
/// The SQL sticks to types every engine has; where the names differ the statement is given
/// per dialect: INTEGER (SQLite) / BIGINT (PostgreSQL) for mark ids and times, TEXT for
/// strings, BLOB / bytea for bytes. `mark_id` holds the UInt64 id's bit pattern as a signed
/// 64-bit integer; in SQLite, `INTEGER PRIMARY KEY` makes it the rowid, so lookups by id need
/// no extra index. `created_at` is milliseconds since 1970 UTC: exact, compact and sorts correctly.
enum Migrations {
    static let all: [Migration] = [
        Migration(version: 1, statements: [
            MigrationStatement(
                sqlite: """
                    CREATE TABLE marks (
                        mark_id       INTEGER PRIMARY KEY,
                        account       TEXT    NOT NULL,
                        clip_label    TEXT,
                        input_sha256  TEXT,
                        output_sha256 TEXT,
                        created_at    INTEGER NOT NULL,
                        visible_mark  TEXT
                    )
                    """,
                postgres: """
                    CREATE TABLE marks (
                        mark_id       BIGINT  PRIMARY KEY,
                        account       TEXT    NOT NULL,
                        clip_label    TEXT,
                        input_sha256  TEXT,
                        output_sha256 TEXT,
                        created_at    BIGINT  NOT NULL,
                        visible_mark  TEXT
                    )
                    """),
            // Serves both the account filter and the (created_at, mark_id) order of `records(account:)`.
            "CREATE INDEX marks_account ON marks (account, created_at)",
        ]),
        Migration(version: 2, statements: [
            MigrationStatement(
                sqlite: "ALTER TABLE marks ADD COLUMN manifest BLOB",
                postgres: "ALTER TABLE marks ADD COLUMN manifest BYTEA"),
        ]),
        // Delivery state (a record is written before its output appears), where the output went,
        // and the source clip copies were stamped from (one generation issued to many accounts).
        Migration(version: 3, statements: [
            "ALTER TABLE marks ADD COLUMN delivery TEXT NOT NULL DEFAULT 'delivered'",
            "ALTER TABLE marks ADD COLUMN output_path TEXT",
            "ALTER TABLE marks ADD COLUMN pending_owner TEXT",
            "ALTER TABLE marks ADD COLUMN source_id TEXT",
            "CREATE INDEX marks_pending ON marks (delivery) WHERE delivery = 'pending'",
            "CREATE INDEX marks_source ON marks (source_id) WHERE source_id IS NOT NULL",
        ]),
        // Content fingerprints for reverse search: one per source clip (its sample bytes), and
        // the multi-index-hashing keys that find a (source, sample) by an exact 16-bit substring
        // of a sample's hash. The key table is clustered by key (WITHOUT ROWID / primary key), so a
        // lookup reads only the matching rows.
        Migration(version: 4, statements: [
            MigrationStatement(
                sqlite: """
                    CREATE TABLE fingerprints (
                        fingerprint_id INTEGER PRIMARY KEY,
                        source_id      TEXT    NOT NULL UNIQUE,
                        samples        BLOB    NOT NULL,
                        created_at     INTEGER NOT NULL
                    )
                    """,
                postgres: """
                    CREATE TABLE fingerprints (
                        fingerprint_id BIGSERIAL PRIMARY KEY,
                        source_id      TEXT      NOT NULL UNIQUE,
                        samples        BYTEA     NOT NULL,
                        created_at     BIGINT    NOT NULL
                    )
                    """),
            MigrationStatement(
                sqlite: """
                    CREATE TABLE fingerprint_keys (
                        key            INTEGER NOT NULL,
                        fingerprint_id INTEGER NOT NULL,
                        sample         INTEGER NOT NULL,
                        PRIMARY KEY (key, fingerprint_id, sample)
                    ) WITHOUT ROWID
                    """,
                postgres: """
                    CREATE TABLE fingerprint_keys (
                        key            BIGINT  NOT NULL,
                        fingerprint_id BIGINT  NOT NULL,
                        sample         INTEGER NOT NULL,
                        PRIMARY KEY (key, fingerprint_id, sample)
                    )
                    """),
        ]),
        // Archive scans (`ScanQueue`): one row per scan, one job per file. A job is `queued`,
        // `running` (claimed: `claim_token` and a lease until `lease_until`, server-clock ms),
        // `done` (`report`: the verify JSON line) or `failed` (`error`: one line). Claims and
        // completions name the token, so a worker whose lease expired can no longer write.
        Migration(version: 5, statements: [
            """
            CREATE TABLE scans (
                scan_id     TEXT    PRIMARY KEY,
                created_at  BIGINT  NOT NULL,
                file_count  INTEGER NOT NULL
            )
            """,
            MigrationStatement(
                sqlite: """
                    CREATE TABLE scan_jobs (
                        job_id      INTEGER PRIMARY KEY AUTOINCREMENT,
                        scan_id     TEXT    NOT NULL REFERENCES scans (scan_id),
                        ordinal     INTEGER NOT NULL,
                        path        TEXT    NOT NULL,
                        state       TEXT    NOT NULL DEFAULT 'queued',
                        attempts    INTEGER NOT NULL DEFAULT 0,
                        claim_token TEXT,
                        worker      TEXT,
                        lease_until INTEGER,
                        report      TEXT,
                        error       TEXT,
                        finished_at INTEGER,
                        UNIQUE (scan_id, ordinal)
                    )
                    """,
                postgres: """
                    CREATE TABLE scan_jobs (
                        job_id      BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                        scan_id     TEXT    NOT NULL REFERENCES scans (scan_id),
                        ordinal     INTEGER NOT NULL,
                        path        TEXT    NOT NULL,
                        state       TEXT    NOT NULL DEFAULT 'queued',
                        attempts    INTEGER NOT NULL DEFAULT 0,
                        claim_token TEXT,
                        worker      TEXT,
                        lease_until BIGINT,
                        report      TEXT,
                        error       TEXT,
                        finished_at BIGINT,
                        UNIQUE (scan_id, ordinal)
                    )
                    """),
            // What a claim scans: unfinished jobs in queue order (a small index: finished jobs leave it).
            "CREATE INDEX scan_jobs_open ON scan_jobs (job_id) WHERE state IN ('queued', 'running')",
            "CREATE INDEX scan_jobs_scan_state ON scan_jobs (scan_id, state)",
            // Finds the job a claim token holds (a retried claim); only running jobs are in it.
            "CREATE INDEX scan_jobs_claim ON scan_jobs (claim_token) WHERE state = 'running'",
        ]),
        // The active manifest label of each record's store, so a store is found by its label
        // (`GET /manifests/{manifestId}`) with an index lookup. Rows written before this version
        // hold a manifest and no label; the second index finds them for the backfill.
        Migration(version: 6, statements: [
            "ALTER TABLE marks ADD COLUMN manifest_label TEXT",
            "CREATE INDEX marks_manifest_label ON marks (manifest_label, created_at) WHERE manifest_label IS NOT NULL",
            "CREATE INDEX marks_unlabelled ON marks (created_at) WHERE manifest_label IS NULL AND manifest IS NOT NULL",
        ]),
    ]

    /// The bookkeeping table, created in the same transaction as the first migration.
    static let createBookkeeping: MigrationStatement =
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)"

    /// The `applied_at` text of a migration applied now: ISO-8601 UTC with milliseconds,
    /// e.g. 2025-11-23T23:19:00.123Z (formatted here, so every engine stores the same form).
    static func appliedAtNow() -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: Date())
    }

    /// Checks the invariant every store relies on: versions 1, 2, 3, … in order.
    static func validate(_ migrations: [Migration]) {
        precondition(
            migrations.enumerated().allSatisfy { $0.offset + 1 == $0.element.version },
            "migration versions must be 1, 2, 3, …")
    }
}
