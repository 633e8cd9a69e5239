import Foundation
import Testing
import HallmarkRegistry

@Suite("Registry locations")
struct RegistryLocationTests {
    @Test("parse accepts paths, sqlite: forms and PostgreSQL URLs", arguments: [
        ("/var/lib/hallmark/registry.db", RegistryLocation.sqlite(path: "/var/lib/hallmark/registry.db")),
        ("registry.db", .sqlite(path: "registry.db")),
        ("  data/registry.db\n", .sqlite(path: "data/registry.db")),
        ("sqlite:///abs/registry.db", .sqlite(path: "/abs/registry.db")),
        ("sqlite:///abs/with%20space.db", .sqlite(path: "/abs/with space.db")),
        ("SQLITE:///abs/r.db", .sqlite(path: "/abs/r.db")),
        ("sqlite:relative/registry.db", .sqlite(path: "relative/registry.db")),
        ("sqlite:/abs/plain.db", .sqlite(path: "/abs/plain.db")),
        ("postgres://user:secret@db.example.com:5432/hallmark", .postgres(url: "postgres://user:secret@db.example.com:5432/hallmark")),
        ("postgresql://db/hallmark?sslmode=require", .postgres(url: "postgresql://db/hallmark?sslmode=require")),
        ("PostgreSQL://db/hallmark", .postgres(url: "PostgreSQL://db/hallmark")),
    ])
    func parses(text: String, expected: RegistryLocation) throws {
        #expect(try RegistryLocation.parse(text) == expected)
    }

    @Test("parse rejects empty input, hostful sqlite URLs and unknown schemes")
    func rejects() {
        for text in ["", "   ", "sqlite:", "sqlite://", "sqlite://host/r.db"] {
            let error = #expect(throws: RegistryError.self) { try RegistryLocation.parse(text) }
            guard case .invalidLocation = error else {
                Issue.record("\(text.debugDescription): expected invalidLocation, got \(String(describing: error))")
                continue
            }
        }
        #expect(throws: RegistryError.unsupportedScheme("mysql")) { try RegistryLocation.parse("mysql://db/x") }
        #expect(throws: RegistryError.unsupportedScheme("file")) { try RegistryLocation.parse("file:///tmp/r.db") }
    }

    @Test("openRegistry opens SQLite, and PostgreSQL through libpq")
    func open() throws {
        // No server listens on port 1: the PostgreSQL store is tried (no longer "unsupported").
        let error = #expect(throws: RegistryError.self) {
            try openRegistry(.postgres(url: "postgres://127.0.0.1:1/hallmark?connect_timeout=5"), create: true)
        }
        guard case .cannotOpen = error else {
            Issue.record("expected cannotOpen, got \(String(describing: error))")
            return
        }

        try withTemporaryDirectory { directory in
            let location = try RegistryLocation.parse("sqlite://" + directory.appendingPathComponent("r.db").path)
            let registry = try openRegistry(location, create: true)
            try registry.insert(MarkRecord(markId: 5, account: "a"))
            #expect(try openRegistry(location, create: false).contains(markId: 5))
        }
    }
}
