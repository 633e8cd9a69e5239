/// One step of the registry schema. Versions start at 1 and increase by one; a released
/// migration is never edited, only followed by a new one.
struct Migration: Sendable {
    let version: Int
    /// Executed in order inside the migration transaction.
    let statements: [String]
}

/// The registry schema history, applied in order by `SQLiteRegistry` on open.
///
/// The SQL sticks to types every engine has so the PostgreSQL store can mirror it one to one:
/// INTEGER (BIGINT in PostgreSQL) for mark ids and times, TEXT for strings, BLOB (bytea).
/// `mark_id` holds the UInt64 id's bit pattern as a signed 64-bit integer; in SQLite,
/// `INTEGER PRIMARY KEY` makes it the rowid, so lookups by id need no extra index.
/// `created_at` is milliseconds since 1970 UTC: exact, compact and sorts correctly.
enum Migrations {
    static let all: [Migration] = [
        Migration(version: 1, statements: [
            """
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
            // Serves both the account filter and the (created_at, mark_id) order of `records(account:)`.
            "CREATE INDEX marks_account ON marks (account, created_at)",
        ]),
        Migration(version: 2, statements: [
            "ALTER TABLE marks ADD COLUMN manifest BLOB",
        ]),
    ]

    /// The bookkeeping table, created in the same transaction as the first migration.
    static let createBookkeeping =
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)"
}
