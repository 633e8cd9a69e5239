import Foundation
import Testing
@testable import HallmarkRegistry

@Suite("Schema migrations")
struct MigrationTests {
    @Test("a new registry gets every migration once, recorded with its version")
    func appliedOnce() throws {
        try withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("r.db").path
            let first: [AppliedMigration]
            do {
                let registry = try SQLiteRegistry(path: path, create: true)
                first = try registry.appliedMigrations()
                #expect(first.map(\.version) == [1, 2, 3, 4, 5, 6])
                #expect(try registry.schemaVersion() == 6)
                #expect(SQLiteRegistry.supportedSchemaVersion == 6)
                for migration in first {
                    // ISO-8601 UTC, e.g. 2025-11-23T23:19:00.123Z
                    #expect(migration.appliedAt.hasSuffix("Z"))
                    #expect(migration.appliedAt.contains("T"))
                }
            }
            for create in [true, false] {
                let reopened = try SQLiteRegistry(path: path, create: create)
                #expect(try reopened.appliedMigrations() == first)
            }
        }
    }

    @Test("a version-1 registry is upgraded on open and keeps its records")
    func upgradeFromVersion1() throws {
        try withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("r.db").path
            let v1Applied: AppliedMigration
            do {
                let old = try SQLiteRegistry(path: path, create: true, migrations: Array(Migrations.all.prefix(1)))
                #expect(try old.schemaVersion() == 1)
                v1Applied = try #require(try old.appliedMigrations().first)
                // A version-1 build had no manifest column, so write the row the way it would have.
                try old.withConnection { connection in
                    try connection.execute("""
                        INSERT INTO marks (mark_id, account, clip_label, created_at)
                        VALUES (-1, 'legacy', 'old clip', 1700000000000)
                        """)
                }
            }

            let registry = try SQLiteRegistry(path: path, create: false)
            let applied = try registry.appliedMigrations()
            #expect(applied.map(\.version) == [1, 2, 3, 4, 5, 6])
            #expect(applied.first == v1Applied)
            let expected = MarkRecord(
                markId: .max, account: "legacy", clipLabel: "old clip",
                createdAt: Date(timeIntervalSince1970: 1_700_000_000))
            #expect(try registry.record(markId: .max) == expected)

            // Old rows read as delivered (they were written after their output appeared).
            #expect(try registry.record(markId: .max)?.delivery == .delivered)
            // The new columns are usable after the upgrade.
            let withManifest = MarkRecord(markId: 2, account: "new", manifest: Data("c2pa".utf8), delivery: .pending,
                                          outputPath: "/out/x.mp4", pendingOwner: "host /out/.x.hallmark-01234567.mp4", sourceId: "src")
            try registry.insert(withManifest)
            #expect(try registry.record(markId: 2) == withManifest)
            #expect(try registry.pendingRecords() == [withManifest])
            #expect(try registry.records(sourceId: "src") == [withManifest])
            try registry.setDelivery(markId: 2, to: .delivered)
            #expect(try registry.record(markId: 2)?.delivery == .delivered)
            #expect(try registry.record(markId: 2)?.pendingOwner == nil)
            #expect(try registry.pendingRecords().isEmpty)
        }
    }

    @Test("a registry from a newer build is refused and left byte-for-byte untouched")
    func newerSchemaRefused() throws {
        try withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("r.db").path
            let supported = Migrations.all.count
            let future = Migrations.all + [Migration(version: supported + 1, statements: ["CREATE TABLE future_things (id INTEGER)"])]
            do {
                let newer = try SQLiteRegistry(path: path, create: true, migrations: future)
                try newer.insert(sampleRecord(42))
                #expect(try newer.schemaVersion() == supported + 1)
            }
            let before = try Data(contentsOf: URL(fileURLWithPath: path))

            for create in [false, true] {
                #expect(throws: RegistryError.newerSchema(path: path, found: supported + 1, supported: supported)) {
                    try SQLiteRegistry(path: path, create: create)
                }
            }
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)

            // The newer build still finds its data.
            let newer = try SQLiteRegistry(path: path, create: false, migrations: future)
            #expect(try newer.contains(markId: 42))
        }
    }
}
