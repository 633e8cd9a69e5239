import Foundation
import Testing
@testable import HallmarkRegistry

/// The server the PostgreSQL tests run against: `HALLMARK_TEST_POSTGRES_URL`, a URL whose user
/// may create databases (scripts/start-postgres.sh starts such a server and prints its URL).
enum PostgresTestServer {
    static let url: String? = {
        let value = ProcessInfo.processInfo.environment["HALLMARK_TEST_POSTGRES_URL"] ?? ""
        return value.isEmpty ? nil : value
    }()

    static var isConfigured: Bool { url != nil }

    static let skipReason: Comment =
        "set HALLMARK_TEST_POSTGRES_URL (scripts/start-postgres.sh prints one) to run against a real server"

    /// Runs `body` with the URL of a new, empty database (created through the maintenance
    /// URL) and drops that database afterwards, so tests running at once never share state.
    static func withTemporaryDatabase<T>(_ body: (String) throws -> T) throws -> T {
        let maintenanceURL = try #require(url, "HALLMARK_TEST_POSTGRES_URL is not set")
        let name = "hallmark_t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        let maintenance = try PostgresConnection(url: maintenanceURL)
        // Identifiers cannot be parameters; the name is made of [a-z0-9_] only.
        try maintenance.query("CREATE DATABASE \"\(name)\"")
        defer { _ = try? maintenance.query("DROP DATABASE IF EXISTS \"\(name)\" WITH (FORCE)") }
        return try body(try url(maintenanceURL, withDatabase: name))
    }

    /// `url` with its database (path) replaced by `database`; user, password, host, port and
    /// query parameters are kept.
    static func url(_ url: String, withDatabase database: String) throws -> String {
        var components = try #require(URLComponents(string: url), "HALLMARK_TEST_POSTGRES_URL is not a URL")
        components.path = "/" + database
        return try #require(components.string)
    }

    /// Runs raw SQL on the database at `url` (fixtures only).
    static func execute(_ sql: String, at url: String) throws {
        try PostgresConnection(url: url).query(sql)
    }

    /// The names of the tables in the database's `public` schema, sorted.
    static func tables(at url: String) throws -> [String] {
        let result = try PostgresConnection(url: url).query(
            "SELECT tablename FROM pg_catalog.pg_tables WHERE schemaname = 'public' ORDER BY tablename")
        return (0..<result.rowCount).compactMap { result.text($0, 0) }
    }
}

@Suite("PostgreSQL registry", .enabled(if: PostgresTestServer.isConfigured, PostgresTestServer.skipReason))
struct PostgreSQLRegistryTests {
    @Test("every field round-trips, including ids >= 2^63, empty values and listing order")
    func roundTrip() throws {
        try PostgresTestServer.withTemporaryDatabase { url in
            let registry = try PostgreSQLRegistry(url: url, create: true)
            let full = MarkRecord(
                markId: (1 << 63) + 12_345,
                account: "bob@example.com",
                clipLabel: "Episode 3 – final cut 🎬",
                inputSHA256: String(repeating: "ab", count: 32),
                outputSHA256: String(repeating: "cd", count: 32),
                createdAt: Date(timeIntervalSince1970: 1_732_400_000.123),
                visibleMark: #"{"text":"bob","opacity":0.2}"#,
                manifest: Data([0x00, 0xFF, 0x10, 0x00, 0x7F, 0x5C, 0x78]), manifestLabel: "urn:c2pa:6a0c2b1e-0000-4000-8000-000000000001")  // includes NUL and "\x"
            let maximal = MarkRecord(markId: .max, account: "carol", createdAt: full.createdAt)
            let signBit = MarkRecord(markId: 1 << 63, account: "carol", createdAt: full.createdAt)
            let small = MarkRecord(markId: 1, account: "dave", createdAt: Date(timeIntervalSince1970: -86_400.5))
            let empty = MarkRecord(markId: 10, account: "ünïcödé", clipLabel: "", visibleMark: "", manifest: Data())
            let now = MarkRecord(markId: 11, account: "dave")  // Date() with sub-millisecond digits

            for record in [full, maximal, signBit, small, empty, now] { try registry.insert(record) }

            for record in [full, maximal, signBit, small, empty, now] {
                #expect(try registry.record(markId: record.markId) == record)
                #expect(try registry.contains(markId: record.markId))
            }
            let readEmpty = try #require(try registry.record(markId: 10))
            #expect(readEmpty.manifest == Data())
            #expect(readEmpty.clipLabel == "")
            #expect(try registry.record(markId: 11)?.manifest == nil)
            #expect(try registry.record(markId: 11)?.clipLabel == nil)
            #expect(try registry.record(markId: 2) == nil)
            #expect(try !registry.contains(markId: full.markId - 1))
            #expect(try registry.count() == 6)

            // Ordered by createdAt, then by the id as an unsigned number.
            #expect(try registry.records(account: "carol").map(\.markId) == [1 << 63, .max])
            // `empty` was made before `now`, and equal times fall back to the id: 10 before 11.
            #expect(try registry.records(account: nil).map(\.markId) == [1, 1 << 63, full.markId, .max, 10, 11])
            #expect(try registry.records(account: "nobody").isEmpty)

            // The same values are stored as the schema says: bit patterns in a BIGINT.
            let stored = try registry.withConnection { connection in
                try connection.query("SELECT mark_id FROM marks WHERE account = 'carol' ORDER BY mark_id")
            }
            #expect((0..<stored.rowCount).map { stored.int64($0, 0) } == [Int64.min, -1])
        }
    }

    @Test("a text field with a NUL character or an unstorable date is rejected, nothing stored")
    func unstorableValues() throws {
        try PostgresTestServer.withTemporaryDatabase { url in
            let registry = try PostgreSQLRegistry(url: url, create: true)
            for record in [
                MarkRecord(markId: 1, account: "nul\u{0}inside"),
                MarkRecord(markId: 2, account: "a", visibleMark: "\u{0}"),
                MarkRecord(markId: 3, account: "a", createdAt: Date(timeIntervalSince1970: 1e17)),
            ] {
                let error = #expect(throws: RegistryError.self) { try registry.insert(record) }
                guard case .invalidRecord = error else {
                    Issue.record("expected invalidRecord, got \(String(describing: error))")
                    continue
                }
            }
            #expect(try registry.count() == 0)
            #expect(try registry.records(account: "nul\u{0}inside").isEmpty)
        }
    }

    @Test("a duplicate mark id is rejected and the registry is unchanged")
    func duplicateRejected() throws {
        try PostgresTestServer.withTemporaryDatabase { url in
            let registry = try PostgreSQLRegistry(url: url, create: true)
            let original = sampleRecord(1 << 63, account: "first")
            try registry.insert(original)

            var impostor = sampleRecord(1 << 63, account: "second")
            impostor.manifest = Data([1, 2, 3])
            #expect(throws: RegistryError.duplicateMarkId(1 << 63)) { try registry.insert(impostor) }
            // Also through a second connection, as another process would see it.
            let other = try PostgreSQLRegistry(url: url, create: false)
            #expect(throws: RegistryError.duplicateMarkId(1 << 63)) { try other.insert(impostor) }

            #expect(try registry.count() == 1)
            #expect(try registry.record(markId: 1 << 63) == original)
            #expect(try registry.records(account: "second").isEmpty)

            // The connection is still usable after the failed insert.
            try registry.insert(sampleRecord(7, account: "second"))
            #expect(try other.count() == 2)
        }
    }

    @Test("8 connections opening a fresh database at once apply the migrations exactly once")
    func migrationsAppliedOnce() throws {
        try PostgresTestServer.withTemporaryDatabase { url in
            let failures = Locked<[String]>([])
            DispatchQueue.concurrentPerform(iterations: 8) { index in
                do {
                    _ = try PostgreSQLRegistry(url: url, create: true)
                } catch {
                    failures.withValue { $0.append("opener \(index): \(error)") }
                }
            }
            #expect(failures.withValue { $0 } == [])

            let registry = try PostgreSQLRegistry(url: url, create: false)
            let applied = try registry.appliedMigrations()
            #expect(applied.map(\.version) == Migrations.all.map(\.version))
            #expect(try registry.schemaVersion() == PostgreSQLRegistry.supportedSchemaVersion)
            #expect(PostgreSQLRegistry.supportedSchemaVersion == SQLiteRegistry.supportedSchemaVersion)
            for migration in applied {
                // ISO-8601 UTC, e.g. 2025-11-23T23:19:00.123Z, as in SQLite registries.
                #expect(migration.appliedAt.hasSuffix("Z"))
                #expect(migration.appliedAt.contains("T"))
            }
            // Reopening changes nothing.
            for create in [true, false] {
                #expect(try PostgreSQLRegistry(url: url, create: create).appliedMigrations() == applied)
            }
            #expect(try PostgresTestServer.tables(at: url) == ["fingerprint_keys", "fingerprints", "marks", "scan_jobs", "scans", "schema_migrations"])

            // The PostgreSQL dialect of the shared migrations: 64-bit ids and times, bytea.
            let types = try registry.withConnection { connection in
                try connection.query("""
                    SELECT column_name, data_type FROM information_schema.columns
                    WHERE table_schema = current_schema() AND table_name = 'marks' ORDER BY ordinal_position
                    """)
            }
            let columns = (0..<types.rowCount).map { "\(types.text($0, 0) ?? "") \(types.text($0, 1) ?? "")" }
            #expect(columns == [
                "mark_id bigint", "account text", "clip_label text", "input_sha256 text",
                "output_sha256 text", "created_at bigint", "visible_mark text", "manifest bytea",
                "delivery text", "output_path text", "pending_owner text", "source_id text", "manifest_label text",
            ])
        }
    }

    @Test("a version-1 registry is upgraded on open and keeps its records")
    func upgradeFromVersion1() throws {
        try PostgresTestServer.withTemporaryDatabase { url in
            do {
                let old = try PostgreSQLRegistry(url: url, create: true, migrations: Array(Migrations.all.prefix(1)))
                #expect(try old.schemaVersion() == 1)
                try old.withConnection { connection in
                    _ = try connection.query("""
                        INSERT INTO marks (mark_id, account, clip_label, created_at)
                        VALUES (-1, 'legacy', 'old clip', 1700000000000)
                        """)
                }
            }
            let registry = try PostgreSQLRegistry(url: url, create: false)
            #expect(try registry.appliedMigrations().map(\.version) == Array(1...Migrations.all.count))
            #expect(try registry.record(markId: .max) == MarkRecord(
                markId: .max, account: "legacy", clipLabel: "old clip",
                createdAt: Date(timeIntervalSince1970: 1_700_000_000)))
            let withManifest = MarkRecord(markId: 2, account: "new", manifest: Data("c2pa".utf8), delivery: .pending,
                                          outputPath: "/out/x.mp4", pendingOwner: "host /out/.x.hallmark-01234567.mp4", sourceId: "src")
            try registry.insert(withManifest)
            #expect(try registry.record(markId: 2) == withManifest)
            #expect(try registry.pendingRecords() == [withManifest])
            #expect(try registry.records(sourceId: "src") == [withManifest])
            try registry.setDelivery(markId: 2, to: .notDelivered)
            #expect(try registry.record(markId: 2)?.delivery == .notDelivered)
            #expect(try registry.record(markId: 2)?.pendingOwner == nil)
            #expect(try registry.pendingRecords().isEmpty)
        }
    }

    @Test("a registry from a newer build is refused and left untouched")
    func newerSchemaRefused() throws {
        try PostgresTestServer.withTemporaryDatabase { url in
            let supported = Migrations.all.count
            let future = Migrations.all + [Migration(version: supported + 1, statements: ["CREATE TABLE future_things (id INTEGER)"])]
            let newer = try PostgreSQLRegistry(url: url, create: true, migrations: future)
            try newer.insert(sampleRecord(42))
            let appliedBefore = try newer.appliedMigrations()
            #expect(appliedBefore.map(\.version) == Array(1...(supported + 1)))

            for create in [false, true] {
                #expect(throws: RegistryError.newerSchema(path: newer.displayURL, found: supported + 1, supported: supported)) {
                    try PostgreSQLRegistry(url: url, create: create)
                }
                #expect(throws: RegistryError.newerSchema(path: newer.displayURL, found: supported + 1, supported: supported)) {
                    try openRegistry(.postgres(url: url), create: create)
                }
            }
            #expect(try newer.appliedMigrations() == appliedBefore)
            #expect(try newer.count() == 1)
            #expect(try PostgresTestServer.tables(at: url) == ["fingerprint_keys", "fingerprints", "future_things", "marks", "scan_jobs", "scans", "schema_migrations"])
        }
    }

    @Test("create: false on an empty database is refused and creates nothing; create: true initialises it")
    func emptyDatabase() throws {
        try PostgresTestServer.withTemporaryDatabase { url in
            let error = #expect(throws: RegistryError.self) { try PostgreSQLRegistry(url: url, create: false) }
            guard case .notARegistry(let path, let message) = error else {
                Issue.record("expected notARegistry, got \(String(describing: error))")
                return
            }
            #expect(url.hasSuffix(path.split(separator: "/").last.map(String.init) ?? "?"))
            #expect(message.contains("never initialised"))
            #expect(try PostgresTestServer.tables(at: url) == [])

            let registry = try openRegistry(.postgres(url: url), create: true)
            #expect(registry is PostgreSQLRegistry)
            try registry.insert(sampleRecord(5))
            #expect(try openRegistry(.postgres(url: url), create: false).contains(markId: 5))
        }
    }

    @Test("tables of another application with our names are refused, whatever create says")
    func foreignTables() throws {
        for fixture in [
            "CREATE TABLE marks (id INTEGER)",
            // golang-migrate and Rails both keep a schema_migrations table, without applied_at.
            "CREATE TABLE schema_migrations (version BIGINT NOT NULL PRIMARY KEY, dirty BOOLEAN NOT NULL)",
        ] {
            try PostgresTestServer.withTemporaryDatabase { url in
                try PostgresTestServer.execute(fixture, at: url)
                let tablesBefore = try PostgresTestServer.tables(at: url)
                for create in [true, false] {
                    let error = #expect(throws: RegistryError.self) { try PostgreSQLRegistry(url: url, create: create) }
                    guard case .notARegistry = error else {
                        Issue.record("\(fixture): expected notARegistry, got \(String(describing: error))")
                        continue
                    }
                }
                #expect(try PostgresTestServer.tables(at: url) == tablesBefore)
            }
        }
    }

    @Test("a database that does not exist: notFound without create, cannotOpen with it")
    func missingDatabase() throws {
        let base = try #require(PostgresTestServer.url)
        let url = try PostgresTestServer.url(base, withDatabase: "hallmark_no_such_database")
        let display = PostgresURL.redact(url).display
        #expect(throws: RegistryError.notFound(path: display)) { try PostgreSQLRegistry(url: url, create: false) }
        let error = #expect(throws: RegistryError.self) { try PostgreSQLRegistry(url: url, create: true) }
        guard case .cannotOpen(_, let message) = error else {
            Issue.record("expected cannotOpen, got \(String(describing: error))")
            return
        }
        #expect(message.contains("does not exist"))
        #expect(!message.contains("\n"))
    }

    @Test("8 threads x 200 inserts, each thread with its own connection, on a fresh database")
    func concurrentWriters() throws {
        try PostgresTestServer.withTemporaryDatabase { url in
            let threads = 8, perThread = 200
            let outcome = writeConcurrently(threads: threads, perThread: perThread) {
                try PostgreSQLRegistry(url: url, create: true)
            }
            let registry = try PostgreSQLRegistry(url: url, create: false)
            try expectConcurrentWrites(outcome, in: registry, threads: threads, perThread: perThread)
            #expect(try registry.appliedMigrations().map(\.version) == Migrations.all.map(\.version))
            let rows = try registry.count()
            print("PostgreSQL: \(threads) threads x \(perThread) inserts -> \(rows) rows in "
                + String(format: "%.2f", outcome.seconds) + " s (opening and migrating included)")
        }
    }

    @Test("one registry instance shared by several threads")
    func sharedInstance() throws {
        try PostgresTestServer.withTemporaryDatabase { url in
            let registry = try PostgreSQLRegistry(url: url, create: true)
            #expect(useFromSeveralThreads(registry, threads: 4, perThread: 100) == [])
            #expect(try registry.count() == 400)
        }
    }

    @Test("a connection killed by the server is re-established on the next call")
    func reconnects() throws {
        try PostgresTestServer.withTemporaryDatabase { url in
            let registry = try PostgreSQLRegistry(url: url, create: true)
            try registry.insert(sampleRecord(1))
            let pid = try registry.withConnection { try $0.query("SELECT pg_backend_pid()").int64(0, 0) }
            try PostgresTestServer.execute("SELECT pg_terminate_backend(\(try #require(pid)))", at: url)

            // The first call may see the broken connection (and says so in one line) ...
            do {
                _ = try registry.count()
            } catch let error as RegistryError {
                guard case .database(_, let message) = error else {
                    Issue.record("expected a database error, got \(error)")
                    return
                }
                #expect(!message.contains("\n"))
            }
            // ... the next one works on a new connection.
            #expect(try registry.count() == 1)
            try registry.insert(sampleRecord(2))
            #expect(try registry.count() == 2)
        }
    }
}

@Suite("PostgreSQL connection strings (no server needed)")
struct PostgresURLTests {
    @Test("the password is removed from the URL shown in messages", arguments: [
        ("postgres://user:s3cret@db.example.com:5432/hallmark", "postgres://user@db.example.com:5432/hallmark", ["s3cret"]),
        ("postgresql://user@db/hallmark?sslmode=require", "postgresql://user@db/hallmark?sslmode=require", []),
        ("PostgreSQL://u:p%40ss%3Aword@db/h", "postgresql://u@db/h", ["p%40ss%3Aword", "p@ss:word"]),
        ("postgres://db/h?user=u&password=hunter22&sslmode=disable", "postgres://db/h?user=u&password=***&sslmode=disable", ["hunter22"]),
        ("postgres:///h?host=/tmp", "postgres:///h?host=/tmp", []),
        ("host=db password='a b c' dbname=h", "host=db password=*** dbname=h", ["a b c"]),
        ("host=db password=xyzzy1 dbname=h", "host=db password=*** dbname=h", ["xyzzy1"]),
    ])
    func redaction(url: String, display: String, secrets: [String]) {
        let redacted = PostgresURL.redact(url)
        #expect(redacted.display == display)
        #expect(redacted.secrets == secrets)
    }

    @Test("libpq wants a lower-case scheme")
    func schemeNormalised() {
        #expect(PostgresURL.normalizingScheme("PostgreSQL://U:P@Db/X") == "postgresql://U:P@Db/X")
        #expect(PostgresURL.normalizingScheme("postgres://db/x") == "postgres://db/x")
        #expect(PostgresURL.normalizingScheme("host=db") == "host=db")
    }

    @Test("an unreachable server gives cannotOpen in one line, without the password")
    func unreachable() throws {
        let url = "postgres://hallmark:pw-do-not-show@127.0.0.1:1/hallmark?connect_timeout=5"
        let error = #expect(throws: RegistryError.self) { try openRegistry(.postgres(url: url), create: true) }
        guard case .cannotOpen(let path, _) = error else {
            Issue.record("expected cannotOpen, got \(String(describing: error))")
            return
        }
        #expect(path == "postgres://hallmark@127.0.0.1:1/hallmark?connect_timeout=5")
        let description = try #require(error).description
        #expect(description.contains("127.0.0.1"))
        #expect(!description.contains("pw-do-not-show"))
        #expect(!description.contains("\n"))
    }

    @Test("a malformed URL is reported without echoing the password")
    func malformed() throws {
        for url in ["postgres://user:pw-do-not-show@[::1/hallmark", "postgres://user:pw-do-not-show@db:port/h"] {
            let error = #expect(throws: RegistryError.self) { try PostgreSQLRegistry(url: url, create: true) }
            let description = try #require(error).description
            #expect(!description.contains("pw-do-not-show"), "\(description)")
            #expect(!description.contains("\n"))
        }
    }
}
