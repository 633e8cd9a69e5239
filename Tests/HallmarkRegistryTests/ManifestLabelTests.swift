import Foundation
import Testing
@testable import HallmarkRegistry

/// The indexed manifest label (schema version 6), the same on both engines.
@Suite("Manifest labels")
struct ManifestLabelTests {
    @Test("SQLite: a record is found by its manifest label; unlabelled manifests are listed and backfilled")
    func sqlite() throws {
        try withTemporaryDirectory { directory in
            try Self.check(try SQLiteRegistry(path: directory.appendingPathComponent("r.db").path, create: true))
        }
    }

    @Test("PostgreSQL: the same", .enabled(if: PostgresTestServer.isConfigured, PostgresTestServer.skipReason))
    func postgres() throws {
        try PostgresTestServer.withTemporaryDatabase { url in
            try Self.check(try PostgreSQLRegistry(url: url, create: true))
        }
    }

    @Test("SQLite: the lookup uses the index, not a scan of the marks")
    func sqliteLookupIsIndexed() throws {
        try withTemporaryDirectory { directory in
            let registry = try SQLiteRegistry(path: directory.appendingPathComponent("r.db").path, create: true)
            let plan = try registry.withConnection { connection in
                try connection.withStatement("EXPLAIN QUERY PLAN SELECT * FROM marks WHERE manifest_label = ? ORDER BY created_at DESC LIMIT 1") { statement in
                    var details: [String] = []
                    while try statement.step() { details.append(statement.text(3) ?? "") }
                    return details.joined(separator: "; ")
                }
            }
            #expect(plan.contains("INDEX marks_manifest_label") && !plan.contains("SCAN"), "\(plan)")
        }
    }

    static func check(_ registry: some MarkRegistry) throws {
        let t0 = Date(timeIntervalSince1970: 1_700_000_000)
        let labelled = MarkRecord(markId: 1, account: "a", createdAt: t0, manifest: Data("store-1".utf8), manifestLabel: "urn:c2pa:one")
        let legacyOld = MarkRecord(markId: 2, account: "b", createdAt: t0 + 1, manifest: Data("store-2".utf8))
        let legacyNew = MarkRecord(markId: (1 << 63) + 3, account: "c", createdAt: t0 + 2, manifest: Data("store-3".utf8))
        let noManifest = MarkRecord(markId: 4, account: "d", createdAt: t0 + 3)
        for record in [labelled, legacyOld, legacyNew, noManifest] { try registry.insert(record) }

        #expect(try registry.record(manifestLabel: "urn:c2pa:one") == labelled)
        #expect(try registry.record(manifestLabel: "urn:c2pa:other") == nil)
        #expect(try registry.record(manifestLabel: "") == nil)
        // Only records with a manifest and no label, oldest first, at most `limit`.
        #expect(try registry.recordsWithoutManifestLabel(limit: 10).map(\.markId) == [2, legacyNew.markId])
        #expect(try registry.recordsWithoutManifestLabel(limit: 1).map(\.markId) == [2])

        try registry.setManifestLabels([legacyNew.markId: "urn:c2pa:three", 99: "urn:c2pa:nobody"])  // 99: unknown, nothing changes
        #expect(try registry.record(manifestLabel: "urn:c2pa:three")?.markId == legacyNew.markId)
        #expect(try registry.record(manifestLabel: "urn:c2pa:nobody") == nil)
        #expect(try registry.recordsWithoutManifestLabel(limit: 10).map(\.markId) == [2])
        #expect(try registry.count() == 4)
    }
}
