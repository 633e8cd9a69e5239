import Foundation
import Testing
@testable import HallmarkRegistry

/// The reverse-search index, the same checks on SQLite and (when configured) PostgreSQL.
struct FingerprintIndexTests {
    static func fingerprint(_ source: String, keys: [(Int64, Int32)]) -> StoredFingerprint {
        StoredFingerprint(sourceId: source, samples: Data([1, 2, 3, 0]), keys: keys.map { .init(key: $0.0, sample: $0.1) })
    }

    static func exercise(_ registry: any MarkRegistry) throws {
        #expect(try registry.fingerprintCount() == 0)
        let a = fingerprint("source-a", keys: [(7, 0), (7, 2), (65_543, 0)])
        let b = fingerprint("source-b", keys: [(7, 4), (9, 0)])
        #expect(try registry.storeFingerprint(a))
        #expect(try !registry.storeFingerprint(fingerprint("source-a", keys: [(11, 0)])))  // one per source
        // With a record, atomically.
        try registry.insert(MarkRecord(markId: 5, account: "acct", sourceId: "source-b"), fingerprint: b)
        #expect(try registry.fingerprintCount() == 2)
        let idA = try #require(try registry.fingerprintId(sourceId: "source-a"))
        let idB = try #require(try registry.fingerprintId(sourceId: "source-b"))
        let hits = try registry.fingerprintHits(keys: [7, 9, 11])
        #expect(Set(hits.map { "\($0.fingerprintId)/\($0.sample)/\($0.key)" })
                == ["\(idA)/0/7", "\(idA)/2/7", "\(idB)/4/7", "\(idB)/0/9"])
        let rows = try registry.fingerprints(ids: [idB])
        #expect(rows == [FingerprintRow(fingerprintId: idB, sourceId: "source-b", samples: Data([1, 2, 3, 0]))])
        #expect(try registry.allFingerprints(limit: 10).count == 2)
        // A newer version of a stored fingerprint: new samples, the old keys kept, its own added.
        #expect(try registry.extendFingerprint(StoredFingerprint(sourceId: "source-b", samples: Data([3, 9]), keys: [.init(key: 9, sample: 0), .init(key: 262_153, sample: 2)])))
        #expect(try registry.fingerprints(ids: [idB]).first?.samples == Data([3, 9]))
        #expect(Set(try registry.fingerprintHits(keys: [7, 9, 262_153]).filter { $0.fingerprintId == idB }.map { "\($0.sample)/\($0.key)" })
                == ["4/7", "0/9", "2/262153"])
        #expect(try !registry.extendFingerprint(fingerprint("source-none", keys: [(1, 0)])))
        #expect(try registry.fingerprintCount() == 2)
        // A record that cannot be inserted leaves no fingerprint behind.
        #expect(throws: RegistryError.duplicateMarkId(5)) {
            try registry.insert(MarkRecord(markId: 5, account: "acct", sourceId: "source-c"), fingerprint: fingerprint("source-c", keys: [(1, 0)]))
        }
        #expect(try registry.fingerprintId(sourceId: "source-c") == nil)
        #expect(try registry.fingerprintHits(keys: [1]).isEmpty)
    }

    @Test func sqlite() throws {
        try withTemporaryDirectory { directory in
            try Self.exercise(try SQLiteRegistry(path: directory.appendingPathComponent("r.db").path, create: true))
        }
    }

    @Test(.enabled(if: PostgresTestServer.isConfigured, PostgresTestServer.skipReason))
    func postgres() throws {
        try PostgresTestServer.withTemporaryDatabase { url in
            try Self.exercise(try PostgreSQLRegistry(url: url, create: true))
        }
    }
}
