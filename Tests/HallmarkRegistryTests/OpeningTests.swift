import Foundation
import Testing
@testable import HallmarkRegistry

@Suite("Opening, creating and refusing registries")
struct OpeningTests {
    @Test("a missing file with create: false throws notFound and creates nothing")
    func missingFile() throws {
        try withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("absent.db").path
            #expect(throws: RegistryError.notFound(path: path)) { try SQLiteRegistry(path: path, create: false) }
            #expect(!FileManager.default.fileExists(atPath: path))

            let nested = directory.appendingPathComponent("no/such/dir/r.db").path
            #expect(throws: RegistryError.notFound(path: nested)) { try SQLiteRegistry(path: nested, create: false) }
            #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("no").path))
        }
    }

    @Test("relative paths resolve against the current directory")
    func relativePath() throws {
        let name = "hallmark-registry-test-absent-\(UUID().uuidString).db"
        let expected = FileManager.default.currentDirectoryPath + "/" + name
        #expect(throws: RegistryError.notFound(path: expected)) { try SQLiteRegistry(path: name, create: false) }
    }

    @Test("create: true makes missing parents 0700 and the file 0600, in WAL mode")
    func createsWithModes() throws {
        try withTemporaryDirectory { directory in
            let parent = directory.appendingPathComponent("a/b")
            let path = parent.appendingPathComponent("registry.db").path
            let registry = try SQLiteRegistry(path: path, create: true)
            try registry.insert(sampleRecord(1))

            #expect(try permissions(path) == 0o600)
            #expect(try permissions(parent.path) == 0o700)
            #expect(try permissions(directory.appendingPathComponent("a").path) == 0o700)
            // SQLite gives the write-ahead log the database file's mode.
            let wal = path + "-wal"
            if FileManager.default.fileExists(atPath: wal) {
                #expect(try permissions(wal) == 0o600)
            }
            let mode = try registry.withConnection { connection in
                try connection.withStatement("PRAGMA journal_mode") { statement in
                    try statement.step() ? statement.text(0) : nil
                }
            }
            #expect(mode == "wal")
        }
    }

    @Test("a file that is not SQLite gives a clear error and is left alone")
    func notSQLite() throws {
        try withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("notes.db").path
            let content = Data(String(repeating: "This is not a database, just some text.\n", count: 50).utf8)
            try content.write(to: URL(fileURLWithPath: path))

            for create in [false, true] {
                let error = #expect(throws: RegistryError.self) { try SQLiteRegistry(path: path, create: create) }
                guard case .notADatabase(let reportedPath, _) = error else {
                    Issue.record("expected notADatabase, got \(String(describing: error))")
                    continue
                }
                #expect(reportedPath == path)
                let description = try #require(error).description
                #expect(description.contains(path))
                #expect(description.contains("not an SQLite database"))
                #expect(!description.contains("\n"))
            }
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == content)
        }
    }

    @Test("an SQLite database that is not a registry is refused")
    func foreignDatabase() throws {
        try withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("other.db").path
            #expect(FileManager.default.createFile(atPath: path, contents: nil))
            try executeRaw("CREATE TABLE other_app (x INTEGER)", at: path)
            let before = try Data(contentsOf: URL(fileURLWithPath: path))

            let error = #expect(throws: RegistryError.self) { try SQLiteRegistry(path: path, create: true) }
            guard case .notARegistry = error else {
                Issue.record("expected notARegistry, got \(String(describing: error))")
                return
            }
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
        }
    }

    @Test("an empty file is initialised only with create: true")
    func emptyFile() throws {
        try withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("empty.db").path
            #expect(FileManager.default.createFile(atPath: path, contents: nil))

            let error = #expect(throws: RegistryError.self) { try SQLiteRegistry(path: path, create: false) }
            guard case .notARegistry = error else {
                Issue.record("expected notARegistry, got \(String(describing: error))")
                return
            }
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)).isEmpty)

            let registry = try SQLiteRegistry(path: path, create: true)
            #expect(try registry.schemaVersion() == SQLiteRegistry.supportedSchemaVersion)
        }
    }

    @Test("a directory path gives cannotOpen")
    func directoryPath() throws {
        try withTemporaryDirectory { directory in
            let error = #expect(throws: RegistryError.self) {
                try SQLiteRegistry(path: directory.path, create: true)
            }
            guard case .cannotOpen = error else {
                Issue.record("expected cannotOpen, got \(String(describing: error))")
                return
            }
        }
    }

    @Test("error descriptions are single lines")
    func descriptionsAreOneLine() {
        let errors: [RegistryError] = [
            .cannotOpen(path: "/x/r.db", message: "unable to open database file"),
            .notFound(path: "/x/r.db"),
            .notADatabase(path: "/x/r.db", message: "file is not a database"),
            .notARegistry(path: "/x/r.db", message: "no schema_migrations"),
            .newerSchema(path: "/x/r.db", found: 9, supported: 2),
            .duplicateMarkId(.max),
            .invalidRecord("bad"),
            .corruptRecord(markId: 1, message: "account is NULL"),
            .invalidLocation("empty location"),
            .unsupportedScheme("mysql"),
            .unsupported("PostgreSQL registries are not built yet"),
            .database(path: "/x/\nr.db", message: "database is locked\n(SQLite code 5)"),
        ]
        for error in errors {
            #expect(!error.description.isEmpty)
            #expect(!error.description.contains("\n"), "\(error)")
            #expect(error.localizedDescription == error.description)
        }
        #expect(RegistryError.duplicateMarkId(.max).description.contains("18446744073709551615"))
        #expect(RegistryError.newerSchema(path: "/x/r.db", found: 9, supported: 2).description.contains("newer"))
    }
}
