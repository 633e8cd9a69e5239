import Foundation
internal import CSQLite
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A registry in one SQLite file, shared safely by several threads and processes.
///
/// - One connection per instance, opened in `init` and closed on deinit. It is `@unchecked
///   Sendable` because the only mutable state, the `sqlite3` handle, is touched after `init`
///   only while `lock` is held; calls on one instance therefore run one at a time.
/// - Between processes (or instances): WAL journal mode (readers never block the writer), a
///   15 s busy timeout, and `BEGIN IMMEDIATE` for every write so writers queue for the lock.
/// - On open, missing schema migrations are applied in one `BEGIN IMMEDIATE` transaction; two
///   processes opening a fresh file at once serialise on it and the second finds nothing to do.
///   A registry with a newer schema, or an SQLite file that is not a registry, is refused untouched.
/// - A new file is created with mode 0600 (SQLite gives its -wal/-shm files the same mode),
///   missing parent directories with mode 0700.
public final class SQLiteRegistry: MarkRegistry, @unchecked Sendable {
    /// Absolute path of the database file.
    public let path: String

    /// The newest schema version this build knows.
    public static var supportedSchemaVersion: Int { Migrations.all.last?.version ?? 0 }

    static let busyTimeoutMilliseconds: Int32 = 15_000

    private let lock = NSLock()
    let connection: SQLiteConnection

    /// Opens the registry at `path` (relative paths are resolved against the current directory).
    /// With `create: false` a missing file throws `RegistryError.notFound` and nothing is created.
    public convenience init(path: String, create: Bool) throws {
        try self.init(path: path, create: create, migrations: Migrations.all)
    }

    /// `migrations` is injectable so tests can simulate older and newer builds.
    init(path: String, create: Bool, migrations: [Migration]) throws {
        Migrations.validate(migrations)
        guard !path.isEmpty else { throw RegistryError.invalidLocation("empty registry path") }
        // Absolute paths also keep SQLite from reading ":memory:" or "file:" specially.
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        self.path = absolute

        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: absolute, isDirectory: &isDirectory) {
            if isDirectory.boolValue {
                throw RegistryError.cannotOpen(path: absolute, message: "it is a directory")
            }
        } else {
            guard create else { throw RegistryError.notFound(path: absolute) }
            try Self.createFile(at: absolute)
        }

        connection = try SQLiteConnection(path: absolute, busyTimeoutMilliseconds: Self.busyTimeoutMilliseconds)
        let connection = self.connection
        try connection.retryingWhileBusy(for: Self.busyTimeoutMilliseconds) {
            try Self.prepareSchema(connection, create: create, migrations: migrations)
        }
    }

    // MARK: MarkRegistry

    public func insert(_ record: MarkRecord) throws {
        try insert(record, fingerprint: nil)
    }

    /// The INSERT of `record`, inside a transaction the caller holds (with the lock).
    func insertRow(_ record: MarkRecord) throws {
        guard let createdAt = MarkRecord.unixMilliseconds(record.createdAt) else {
            throw RegistryError.invalidRecord("createdAt \(record.createdAt) cannot be stored")
        }
        try connection.withStatement("""
            INSERT INTO marks (\(Self.columns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """) { statement in
            try statement.bind(1, Int64(bitPattern: record.markId))
            try statement.bind(2, record.account)
            try statement.bind(3, record.clipLabel)
            try statement.bind(4, record.inputSHA256)
            try statement.bind(5, record.outputSHA256)
            try statement.bind(6, createdAt)
            try statement.bind(7, record.visibleMark)
            try statement.bind(8, record.manifest)
            try statement.bind(9, record.delivery.rawValue)
            try statement.bind(10, record.outputPath)
            try statement.bind(11, record.pendingOwner)
            try statement.bind(12, record.sourceId)
            try statement.bind(13, record.manifestLabel)
            do {
                try statement.step()
            } catch {
                if statement.lastStepViolatedUniqueness {
                    throw RegistryError.duplicateMarkId(record.markId)
                }
                throw error
            }
        }
    }

    public func record(markId: UInt64) throws -> MarkRecord? {
        try locked {
            try connection.withStatement("SELECT \(Self.columns) FROM marks WHERE mark_id = ?") { statement in
                try statement.bind(1, Int64(bitPattern: markId))
                return try statement.step() ? Self.decode(statement) : nil
            }
        }
    }

    public func contains(markId: UInt64) throws -> Bool {
        try locked {
            try connection.withStatement("SELECT 1 FROM marks WHERE mark_id = ?") { statement in
                try statement.bind(1, Int64(bitPattern: markId))
                return try statement.step()
            }
        }
    }

    public func count() throws -> Int {
        try locked {
            try connection.withStatement("SELECT COUNT(*) FROM marks") { statement in
                try statement.step()
                return Int(statement.int64(0))
            }
        }
    }

    public func records(account: String?) throws -> [MarkRecord] {
        // mark_id holds the id's bit pattern: ids >= 2^63 are negative in SQL and must sort last.
        let order = "ORDER BY created_at, CASE WHEN mark_id < 0 THEN 1 ELSE 0 END, mark_id"
        let sql = account == nil
            ? "SELECT \(Self.columns) FROM marks \(order)"
            : "SELECT \(Self.columns) FROM marks WHERE account = ? \(order)"
        return try locked {
            try connection.withStatement(sql) { statement in
                if let account { try statement.bind(1, account) }
                var result: [MarkRecord] = []
                while try statement.step() {
                    result.append(try Self.decode(statement))
                }
                return result
            }
        }
    }

    public func setDelivery(markId: UInt64, to delivery: MarkRecord.Delivery) throws {
        try locked {
            try connection.immediateTransaction {
                try connection.withStatement("""
                    UPDATE marks SET delivery = ?, pending_owner = CASE WHEN ? = 'pending' THEN pending_owner END WHERE mark_id = ?
                    """) { statement in
                    try statement.bind(1, delivery.rawValue)
                    try statement.bind(2, delivery.rawValue)
                    try statement.bind(3, Int64(bitPattern: markId))
                    try statement.step()
                }
            }
        }
    }

    public func pendingRecords() throws -> [MarkRecord] {
        try select("SELECT \(Self.columns) FROM marks WHERE delivery = 'pending' ORDER BY created_at") { _ in }
    }

    public func records(sourceId: String) throws -> [MarkRecord] {
        try select("SELECT \(Self.columns) FROM marks WHERE source_id = ? ORDER BY created_at") { try $0.bind(1, sourceId) }
    }

    public func record(manifestLabel label: String) throws -> MarkRecord? {
        try select("SELECT \(Self.columns) FROM marks WHERE manifest_label = ? ORDER BY created_at DESC LIMIT 1") {
            try $0.bind(1, label)
        }.first
    }

    public func recordsWithoutManifestLabel(limit: Int) throws -> [MarkRecord] {
        try select("""
            SELECT \(Self.columns) FROM marks WHERE manifest_label IS NULL AND manifest IS NOT NULL ORDER BY created_at LIMIT ?
            """) { try $0.bind(1, Int64(max(0, limit))) }
    }

    public func setManifestLabels(_ labels: [UInt64: String]) throws {
        try locked {
            try connection.immediateTransaction {
                for (markId, label) in labels {
                    try connection.withStatement("UPDATE marks SET manifest_label = ? WHERE mark_id = ?") { statement in
                        try statement.bind(1, label)
                        try statement.bind(2, Int64(bitPattern: markId))
                        try statement.step()
                    }
                }
            }
        }
    }

    public func markIds() throws -> [UInt64] {
        try locked {
            try connection.withStatement("SELECT mark_id FROM marks") { statement in
                var ids: [UInt64] = []
                while try statement.step() { ids.append(UInt64(bitPattern: statement.int64(0))) }
                return ids
            }
        }
    }

    private func select(_ sql: String, bind: (SQLiteStatement) throws -> Void) throws -> [MarkRecord] {
        try locked {
            try connection.withStatement(sql) { statement in
                try bind(statement)
                var result: [MarkRecord] = []
                while try statement.step() { result.append(try Self.decode(statement)) }
                return result
            }
        }
    }

    public func unusedMarkId() throws -> UInt64 {
        var generator = SystemRandomNumberGenerator()
        // One attempt almost surely suffices; the bound only guards against a broken generator.
        for _ in 0..<64 {
            let candidate = UInt64.random(in: 1...UInt64.max, using: &generator)
            if try !contains(markId: candidate) { return candidate }
        }
        throw RegistryError.database(path: path, message: "no unused mark id found in 64 random draws")
    }

    // MARK: Schema information

    /// The highest applied migration (0 for none).
    public func schemaVersion() throws -> Int {
        try appliedMigrations().last?.version ?? 0
    }

    /// The rows of `schema_migrations`, by version.
    public func appliedMigrations() throws -> [AppliedMigration] {
        try locked {
            try connection.withStatement(
                "SELECT version, applied_at FROM schema_migrations ORDER BY version"
            ) { statement in
                var result: [AppliedMigration] = []
                while try statement.step() {
                    result.append(AppliedMigration(
                        version: Int(statement.int64(0)), appliedAt: statement.text(1) ?? ""))
                }
                return result
            }
        }
    }

    // MARK: Internals

    static let columns =
        "mark_id, account, clip_label, input_sha256, output_sha256, created_at, visible_mark, manifest, delivery, output_path, pending_owner, source_id, manifest_label"

    /// Tests reach the raw connection through this; the lock is held while `body` runs.
    func withConnection<T>(_ body: (SQLiteConnection) throws -> T) throws -> T {
        try locked { try body(connection) }
    }

    func locked<T>(_ body: () throws -> T) throws -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    /// Builds a record from a row selected with `columns`.
    private static func decode(_ statement: SQLiteStatement) throws -> MarkRecord {
        let markId = UInt64(bitPattern: statement.int64(0))
        guard let account = statement.text(1) else {
            throw RegistryError.corruptRecord(markId: markId, message: "account is NULL")
        }
        guard statement.isInteger(5) else {
            throw RegistryError.corruptRecord(markId: markId, message: "created_at is not an integer")
        }
        return MarkRecord(
            markId: markId,
            account: account,
            clipLabel: statement.text(2),
            inputSHA256: statement.text(3),
            outputSHA256: statement.text(4),
            createdAt: MarkRecord.dateFrom(unixMilliseconds: statement.int64(5)),
            visibleMark: statement.text(6),
            manifest: statement.blob(7),
            delivery: try delivery(statement.text(8), markId: markId),
            outputPath: statement.text(9),
            pendingOwner: statement.text(10),
            sourceId: statement.text(11),
            manifestLabel: statement.text(12))
    }

    static func delivery(_ text: String?, markId: UInt64) throws -> MarkRecord.Delivery {
        guard let text, let delivery = MarkRecord.Delivery(rawValue: text) else {
            throw RegistryError.corruptRecord(markId: markId, message: "delivery is \(text.map { "'\($0)'" } ?? "NULL")")
        }
        return delivery
    }

    /// Creates an empty file with mode 0600 (and missing parents with 0700). Losing the race to
    /// another process creating the same file is fine: schema setup is transactional.
    private static func createFile(at path: String) throws {
        try createDirectories((path as NSString).deletingLastPathComponent, for: path)
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if fd >= 0 {
            _ = fchmod(fd, 0o600)  // in case the umask removed owner bits
            close(fd)
            return
        }
        let code = errno
        guard code == EEXIST else {
            throw RegistryError.cannotOpen(path: path, message: "cannot create the file: \(String(cString: strerror(code)))")
        }
    }

    private static func createDirectories(_ directory: String, for path: String) throws {
        guard !directory.isEmpty, directory != "/" else { return }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw RegistryError.cannotOpen(path: path, message: "\(directory) is not a directory")
            }
            return
        }
        try createDirectories((directory as NSString).deletingLastPathComponent, for: path)
        if mkdir(directory, 0o700) == 0 {
            _ = chmod(directory, 0o700)
        } else if errno != EEXIST {
            let message = String(cString: strerror(errno))
            throw RegistryError.cannotOpen(path: path, message: "cannot create directory \(directory): \(message)")
        }
    }

    private enum SchemaState {
        /// No tables at all: a new (or zero-length) file.
        case empty
        /// Tables, but no `schema_migrations`: somebody else's database.
        case foreign
        case version(Int)
    }

    private static func schemaState(_ connection: SQLiteConnection) throws -> SchemaState {
        let (objects, hasBookkeeping) = try connection.withStatement(
            "SELECT COUNT(*), COALESCE(SUM(type = 'table' AND name = 'schema_migrations'), 0) FROM sqlite_master"
        ) { statement in
            try statement.step()
            return (statement.int64(0), statement.int64(1) > 0)
        }
        guard hasBookkeeping else { return objects == 0 ? .empty : .foreign }
        return .version(try connection.withStatement(
            "SELECT COALESCE(MAX(version), 0) FROM schema_migrations"
        ) { statement in
            try statement.step()
            return Int(statement.int64(0))
        })
    }

    /// Refuses what must not be touched, enables WAL, applies missing migrations.
    private static func prepareSchema(_ connection: SQLiteConnection, create: Bool, migrations: [Migration]) throws {
        let supported = migrations.last?.version ?? 0
        let path = connection.path

        // A first look without any lock or write, so refused files stay byte-for-byte untouched.
        switch try schemaState(connection) {
        case .foreign:
            throw RegistryError.notARegistry(path: path, message: "an SQLite database without a schema_migrations table")
        case .empty where !create:
            throw RegistryError.notARegistry(path: path, message: "the database is empty (it was never initialised)")
        case .version(let found) where found > supported:
            throw RegistryError.newerSchema(path: path, found: found, supported: supported)
        case .version(let found) where found == supported:
            // Up to date: no write transaction, so a write-protected registry can still be read.
            return try enableWAL(connection)
        default:
            break
        }

        try enableWAL(connection)

        // Decide again under the write lock: another process may have migrated in between.
        try connection.immediateTransaction {
            let current: Int
            switch try schemaState(connection) {
            case .foreign:
                throw RegistryError.notARegistry(path: path, message: "an SQLite database without a schema_migrations table")
            case .empty:
                current = 0
            case .version(let found):
                guard found <= supported else {
                    throw RegistryError.newerSchema(path: path, found: found, supported: supported)
                }
                current = found
            }
            guard current < supported else { return }

            try connection.execute(Migrations.createBookkeeping.sql(for: .sqlite))
            let appliedAt = Migrations.appliedAtNow()
            for migration in migrations where migration.version > current {
                for sql in migration.sql(for: .sqlite) {
                    try connection.execute(sql)
                }
                try connection.withStatement(
                    "INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)"
                ) { statement in
                    try statement.bind(1, Int64(migration.version))
                    try statement.bind(2, appliedAt)
                    try statement.step()
                }
            }
        }
    }

    /// WAL is persistent in the file, so this is a no-op for every open but the first.
    private static func enableWAL(_ connection: SQLiteConnection) throws {
        guard !connection.isReadOnly else { return }
        let mode = try connection.withStatement("PRAGMA journal_mode = WAL") { statement in
            try statement.step() ? statement.text(0) : nil
        }
        guard mode?.lowercased() == "wal" else {
            throw RegistryError.database(
                path: connection.path, message: "cannot switch to WAL journal mode (still \(mode ?? "unknown"))")
        }
    }
}
