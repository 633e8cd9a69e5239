import Foundation

/// A registry in a PostgreSQL database, shared safely by several threads and processes.
///
/// - Same schema and migrations as `SQLiteRegistry` (`Migrations.all`, PostgreSQL dialect),
///   created in the connection's current schema (the first one of `search_path`, normally `public`).
/// - One libpq connection per instance, opened in `init` and closed on deinit. It is
///   `@unchecked Sendable` because the connection is touched after `init` only while `lock`
///   is held; calls on one instance run one at a time. A connection that broke is
///   re-established on the next call (the call that saw it break fails).
/// - Between processes, the server does the work: every write is a single statement
///   (atomic on its own) and the primary key rejects duplicate ids (SQLSTATE 23505).
/// - On open, missing migrations are applied in one transaction that first takes a
///   transaction-level advisory lock, so processes opening a fresh database at the same
///   moment serialise and only the first applies them. A database with a newer schema, or
///   with tables of the same names that are not a Hallmark registry, is refused untouched.
/// - Error messages name the database by its URL without the password (`displayURL`).
public final class PostgreSQLRegistry: MarkRegistry, @unchecked Sendable {
    /// The connection URL with the password removed.
    public let displayURL: String

    /// The newest schema version this build knows.
    public static var supportedSchemaVersion: Int { Migrations.all.last?.version ?? 0 }

    /// Key of the advisory lock held while migrating ("HALLMARK" in ASCII). Advisory locks
    /// are per database, so registries in different databases never wait for each other.
    static let migrationLockKey: Int64 = 0x4841_4C4C_4D41_524B

    private let lock = NSLock()
    let connection: PostgresConnection

    /// Connects to `url` (`postgres://user:password@host:port/database?param=value`, any libpq
    /// URL or key=value string). The database itself must exist; with `create: true` an empty
    /// one is initialised, with `create: false` it is refused with `RegistryError.notARegistry`
    /// (and a database that does not exist gives `RegistryError.notFound`).
    public convenience init(url: String, create: Bool) throws {
        try self.init(url: url, create: create, migrations: Migrations.all)
    }

    /// `migrations` is injectable so tests can simulate older and newer builds.
    init(url: String, create: Bool, migrations: [Migration]) throws {
        Migrations.validate(migrations)
        guard !url.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw RegistryError.invalidLocation("empty PostgreSQL URL")
        }
        do {
            connection = try PostgresConnection(url: url)
        } catch let error as PostgresError {
            let display = PostgresURL.redact(url).display
            // libpq gives no SQLSTATE for connection failures; the server's (English) text it is.
            if !create, error.message.contains("database \""), error.message.contains("\" does not exist") {
                throw RegistryError.notFound(path: display)
            }
            throw RegistryError.cannotOpen(path: display, message: error.message)
        }
        displayURL = connection.displayURL
        try Self.mappingErrors(displayURL) {
            try Self.prepareSchema(connection, create: create, migrations: migrations)
        }
    }

    // MARK: MarkRegistry

    public func insert(_ record: MarkRecord) throws {
        try locked { try insertRow(record) }
    }

    /// The INSERT of `record` (the caller holds the lock, and a transaction if it needs one).
    func insertRow(_ record: MarkRecord) throws {
        guard let createdAt = MarkRecord.unixMilliseconds(record.createdAt) else {
            throw RegistryError.invalidRecord("createdAt \(record.createdAt) cannot be stored")
        }
        let texts = [
            ("account", record.account), ("clipLabel", record.clipLabel), ("inputSHA256", record.inputSHA256),
            ("outputSHA256", record.outputSHA256), ("visibleMark", record.visibleMark),
            ("outputPath", record.outputPath), ("pendingOwner", record.pendingOwner), ("sourceId", record.sourceId),
            ("manifestLabel", record.manifestLabel),
        ]
        for case let (name, text?) in texts where text.utf8.contains(0) {
            throw RegistryError.invalidRecord("\(name) contains a NUL character, which PostgreSQL text cannot store")
        }
        do {
            // One statement: atomic by itself, no explicit transaction needed.
            try connection.query("""
                INSERT INTO marks (\(SQLiteRegistry.columns)) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
                """, [
                    .int64(Int64(bitPattern: record.markId)),
                    .text(record.account),
                    .optionalText(record.clipLabel),
                    .optionalText(record.inputSHA256),
                    .optionalText(record.outputSHA256),
                    .int64(createdAt),
                    .optionalText(record.visibleMark),
                    .optionalBytes(record.manifest),
                    .text(record.delivery.rawValue),
                    .optionalText(record.outputPath),
                    .optionalText(record.pendingOwner),
                    .optionalText(record.sourceId),
                    .optionalText(record.manifestLabel),
                ])
        } catch let error as PostgresError where error.sqlState == "23505" {
            throw RegistryError.duplicateMarkId(record.markId)
        }
    }

    public func record(markId: UInt64) throws -> MarkRecord? {
        try locked {
            let result = try connection.query(
                "SELECT \(SQLiteRegistry.columns) FROM marks WHERE mark_id = $1", [.int64(Int64(bitPattern: markId))])
            return result.rowCount > 0 ? try Self.decode(result, row: 0) : nil
        }
    }

    public func contains(markId: UInt64) throws -> Bool {
        try locked {
            try connection.query("SELECT 1 FROM marks WHERE mark_id = $1", [.int64(Int64(bitPattern: markId))])
                .rowCount > 0
        }
    }

    public func count() throws -> Int {
        try locked {
            let result = try connection.query("SELECT COUNT(*) FROM marks")
            guard let count = result.int64(0, 0) else {
                throw PostgresError(kind: .query, message: "COUNT(*) returned no number", sqlState: nil)
            }
            return Int(count)
        }
    }

    public func records(account: String?) throws -> [MarkRecord] {
        // mark_id holds the id's bit pattern: ids >= 2^63 are negative in SQL and must sort last.
        let order = "ORDER BY created_at, CASE WHEN mark_id < 0 THEN 1 ELSE 0 END, mark_id"
        if let account, account.utf8.contains(0) { return [] }  // cannot be stored, so not there
        return try locked {
            let result = if let account {
                try connection.query("SELECT \(SQLiteRegistry.columns) FROM marks WHERE account = $1 \(order)", [.text(account)])
            } else {
                try connection.query("SELECT \(SQLiteRegistry.columns) FROM marks \(order)")
            }
            return try (0..<result.rowCount).map { try Self.decode(result, row: $0) }
        }
    }

    public func setDelivery(markId: UInt64, to delivery: MarkRecord.Delivery) throws {
        _ = try locked {
            try connection.query("""
                UPDATE marks SET delivery = $1, pending_owner = CASE WHEN $1 = 'pending' THEN pending_owner END WHERE mark_id = $2
                """, [.text(delivery.rawValue), .int64(Int64(bitPattern: markId))])
        }
    }

    public func pendingRecords() throws -> [MarkRecord] {
        try select("SELECT \(SQLiteRegistry.columns) FROM marks WHERE delivery = 'pending' ORDER BY created_at", [])
    }

    public func records(sourceId: String) throws -> [MarkRecord] {
        if sourceId.utf8.contains(0) { return [] }  // cannot be stored, so not there
        return try select("SELECT \(SQLiteRegistry.columns) FROM marks WHERE source_id = $1 ORDER BY created_at", [.text(sourceId)])
    }

    public func record(manifestLabel label: String) throws -> MarkRecord? {
        if label.utf8.contains(0) { return nil }  // cannot be stored, so not there
        return try select("""
            SELECT \(SQLiteRegistry.columns) FROM marks WHERE manifest_label = $1 ORDER BY created_at DESC LIMIT 1
            """, [.text(label)]).first
    }

    public func recordsWithoutManifestLabel(limit: Int) throws -> [MarkRecord] {
        try select("""
            SELECT \(SQLiteRegistry.columns) FROM marks WHERE manifest_label IS NULL AND manifest IS NOT NULL ORDER BY created_at LIMIT $1
            """, [.int64(Int64(max(0, limit)))])
    }

    public func setManifestLabels(_ labels: [UInt64: String]) throws {
        guard !labels.values.contains(where: { $0.utf8.contains(0) }) else {
            throw RegistryError.invalidRecord("a manifestLabel contains a NUL character, which PostgreSQL text cannot store")
        }
        try locked {
            try connection.transaction {
                for (markId, label) in labels {
                    try connection.query("UPDATE marks SET manifest_label = $1 WHERE mark_id = $2",
                                         [.text(label), .int64(Int64(bitPattern: markId))])
                }
            }
        }
    }

    public func markIds() throws -> [UInt64] {
        try locked {
            let result = try connection.query("SELECT mark_id FROM marks")
            return try (0..<result.rowCount).map { row in
                guard let id = result.int64(row, 0) else {
                    throw PostgresError(kind: .query, message: "a mark_id is not a 64-bit integer", sqlState: nil)
                }
                return UInt64(bitPattern: id)
            }
        }
    }

    private func select(_ sql: String, _ parameters: [PostgresParameter]) throws -> [MarkRecord] {
        try locked {
            let result = try connection.query(sql, parameters)
            return try (0..<result.rowCount).map { try Self.decode(result, row: $0) }
        }
    }

    public func unusedMarkId() throws -> UInt64 {
        var generator = SystemRandomNumberGenerator()
        // One attempt almost surely suffices; the bound only guards against a broken generator.
        for _ in 0..<64 {
            let candidate = UInt64.random(in: 1...UInt64.max, using: &generator)
            if try !contains(markId: candidate) { return candidate }
        }
        throw RegistryError.database(path: displayURL, message: "no unused mark id found in 64 random draws")
    }

    // MARK: Schema information

    /// The highest applied migration (0 for none).
    public func schemaVersion() throws -> Int {
        try appliedMigrations().last?.version ?? 0
    }

    /// The rows of `schema_migrations`, by version.
    public func appliedMigrations() throws -> [AppliedMigration] {
        try locked {
            let result = try connection.query("SELECT version, applied_at FROM schema_migrations ORDER BY version")
            return (0..<result.rowCount).map {
                AppliedMigration(version: Int(result.int64($0, 0) ?? 0), appliedAt: result.text($0, 1) ?? "")
            }
        }
    }

    // MARK: Internals

    /// Tests reach the raw connection through this; the lock is held while `body` runs.
    func withConnection<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        try locked { try body(connection) }
    }

    func locked<T>(_ body: () throws -> T) throws -> T {
        lock.lock()
        defer { lock.unlock() }
        return try Self.mappingErrors(displayURL, body)
    }

    /// Turns libpq failures into `RegistryError.database`; other errors pass through.
    static func mappingErrors<T>(_ displayURL: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as PostgresError {
            throw RegistryError.database(path: displayURL, message: error.description)
        }
    }

    /// Builds a record from row `row` of a result selected with `SQLiteRegistry.columns`.
    private static func decode(_ result: PostgresResult, row: Int) throws -> MarkRecord {
        guard let rawId = result.int64(row, 0) else {
            throw PostgresError(kind: .query, message: "a mark_id is not a 64-bit integer", sqlState: nil)
        }
        let markId = UInt64(bitPattern: rawId)
        guard let account = result.text(row, 1) else {
            throw RegistryError.corruptRecord(markId: markId, message: "account is NULL")
        }
        guard let createdAt = result.int64(row, 5) else {
            throw RegistryError.corruptRecord(markId: markId, message: "created_at is not an integer")
        }
        let manifest = result.bytes(row, 7)
        if manifest == nil, !result.isNull(row, 7) {
            throw RegistryError.corruptRecord(markId: markId, message: "manifest is not valid bytea output")
        }
        return MarkRecord(
            markId: markId,
            account: account,
            clipLabel: result.text(row, 2),
            inputSHA256: result.text(row, 3),
            outputSHA256: result.text(row, 4),
            createdAt: MarkRecord.dateFrom(unixMilliseconds: createdAt),
            visibleMark: result.text(row, 6),
            manifest: manifest,
            delivery: try SQLiteRegistry.delivery(result.text(row, 8), markId: markId),
            outputPath: result.text(row, 9),
            pendingOwner: result.text(row, 10),
            sourceId: result.text(row, 11),
            manifestLabel: result.text(row, 12))
    }

    private enum SchemaState {
        /// Neither `marks` nor `schema_migrations` in the current schema.
        case empty
        /// Tables by those names that are not a Hallmark registry.
        case foreign(String)
        case version(Int)
    }

    /// What the connection's current schema holds. Reads only, takes no locks.
    private static func schemaState(_ connection: PostgresConnection) throws -> SchemaState {
        let tables = try connection.query("""
            SELECT c.relname,
                   EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a
                           WHERE a.attrelid = c.oid AND a.attname = 'applied_at' AND NOT a.attisdropped)
            FROM pg_catalog.pg_class c
            JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = current_schema()
              AND c.relname IN ('marks', 'schema_migrations')
              AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
            """)
        var names: [String: Bool] = [:]
        for row in 0..<tables.rowCount {
            if let name = tables.text(row, 0) { names[name] = tables.bool(row, 1) ?? false }
        }
        guard let bookkeepingHasAppliedAt = names["schema_migrations"] else {
            return names["marks"] == nil
                ? .empty
                : .foreign("it has a table named marks but no schema_migrations table")
        }
        guard bookkeepingHasAppliedAt else {
            return .foreign("its schema_migrations table belongs to another tool (no applied_at column)")
        }
        let version = try connection.query("SELECT COALESCE(MAX(version), 0) FROM schema_migrations")
        return .version(Int(version.int64(0, 0) ?? 0))
    }

    /// Refuses what must not be touched, applies missing migrations.
    static func prepareSchema(_ connection: PostgresConnection, create: Bool, migrations: [Migration]) throws {
        let supported = migrations.last?.version ?? 0
        let path = connection.displayURL
        let uninitialised = "the database has no Hallmark registry tables (it was never initialised; it is created only when asked to)"

        // A first look without any lock or write, so refused databases stay untouched and an
        // up-to-date registry opens with read-only privileges.
        switch try schemaState(connection) {
        case .foreign(let message):
            throw RegistryError.notARegistry(path: path, message: message)
        case .empty where !create, .version(0) where !create:
            throw RegistryError.notARegistry(path: path, message: uninitialised)
        case .version(let found) where found > supported:
            throw RegistryError.newerSchema(path: path, found: found, supported: supported)
        case .version(let found) where found == supported:
            return
        default:
            break
        }

        // Decide again under the lock: another process may have migrated in between. READ
        // COMMITTED (whatever the server default) so statements after the lock see its work.
        try connection.transaction("BEGIN ISOLATION LEVEL READ COMMITTED") {
            try connection.query("SELECT pg_advisory_xact_lock($1::bigint)", [.int64(migrationLockKey)])
            let current: Int
            switch try schemaState(connection) {
            case .foreign(let message):
                throw RegistryError.notARegistry(path: path, message: message)
            case .empty:
                current = 0
            case .version(let found):
                guard found <= supported else {
                    throw RegistryError.newerSchema(path: path, found: found, supported: supported)
                }
                current = found
            }
            guard current < supported else { return }

            try connection.query(Migrations.createBookkeeping.sql(for: .postgres))
            let appliedAt = Migrations.appliedAtNow()
            for migration in migrations where migration.version > current {
                for sql in migration.sql(for: .postgres) {
                    try connection.query(sql)
                }
                try connection.query(
                    "INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)",
                    [.int64(Int64(migration.version)), .text(appliedAt)])
            }
        }
    }
}
