import Foundation
import Testing
@testable import HallmarkRegistry

@Suite("Storing and reading records")
struct RecordStorageTests {
    @Test("every field round-trips, including ids >= 2^63")
    func roundTrip() throws {
        try withTemporaryDirectory { directory in
            let registry = try SQLiteRegistry(path: directory.appendingPathComponent("r.db").path, create: true)
            let full = MarkRecord(
                markId: (1 << 63) + 12_345,
                account: "bob@example.com",
                clipLabel: "Episode 3 – final cut",
                inputSHA256: String(repeating: "ab", count: 32),
                outputSHA256: String(repeating: "cd", count: 32),
                createdAt: Date(timeIntervalSince1970: 1_732_400_000.123),
                visibleMark: #"{"text":"bob","opacity":0.2}"#,
                manifest: Data([0x00, 0xFF, 0x10, 0x00, 0x7F]), manifestLabel: "urn:c2pa:6a0c2b1e-0000-4000-8000-000000000001")
            let maximal = MarkRecord(markId: .max, account: "carol")
            let small = MarkRecord(markId: 1, account: "dave", createdAt: Date(timeIntervalSince1970: -86_400.5))

            for record in [full, maximal, small] { try registry.insert(record) }

            #expect(try registry.record(markId: full.markId) == full)
            #expect(try registry.record(markId: .max) == maximal)
            #expect(try registry.record(markId: 1) == small)
            #expect(try registry.record(markId: 2) == nil)
            #expect(try registry.contains(markId: full.markId))
            #expect(try !registry.contains(markId: full.markId - 1))
            #expect(try registry.count() == 3)
        }
    }

    @Test("empty text and empty manifest stay distinct from nil; odd text survives")
    func emptyAndNil() throws {
        try withTemporaryDirectory { directory in
            let registry = try SQLiteRegistry(path: directory.appendingPathComponent("r.db").path, create: true)
            let empty = MarkRecord(markId: 10, account: "ünï\u{0}cödé 🎬", clipLabel: "", visibleMark: "", manifest: Data())
            let absent = MarkRecord(markId: 11, account: "x")
            try registry.insert(empty)
            try registry.insert(absent)

            let readEmpty = try #require(try registry.record(markId: 10))
            #expect(readEmpty == empty)
            #expect(readEmpty.manifest == Data())
            #expect(readEmpty.clipLabel == "")
            let readAbsent = try #require(try registry.record(markId: 11))
            #expect(readAbsent == absent)
            #expect(readAbsent.manifest == nil)
            #expect(readAbsent.clipLabel == nil)
        }
    }

    @Test("createdAt is kept to the millisecond")
    func millisecondPrecision() throws {
        let record = MarkRecord(markId: 1, account: "a", createdAt: Date(timeIntervalSince1970: 1_700_000_000.123_456))
        #expect(abs(record.createdAt.timeIntervalSince1970 - 1_700_000_000.123) < 1e-6)

        try withTemporaryDirectory { directory in
            let registry = try SQLiteRegistry(path: directory.appendingPathComponent("r.db").path, create: true)
            let now = MarkRecord(markId: 2, account: "a")  // Date() with sub-millisecond digits
            try registry.insert(now)
            #expect(try registry.record(markId: 2) == now)
        }
    }

    @Test("a date beyond the 64-bit millisecond range is rejected, not trapped on")
    func unstorableDate() throws {
        try withTemporaryDirectory { directory in
            let registry = try SQLiteRegistry(path: directory.appendingPathComponent("r.db").path, create: true)
            let record = MarkRecord(markId: 3, account: "a", createdAt: Date(timeIntervalSince1970: 1e17))
            let error = #expect(throws: RegistryError.self) { try registry.insert(record) }
            guard case .invalidRecord = error else {
                Issue.record("expected invalidRecord, got \(String(describing: error))")
                return
            }
            #expect(try registry.count() == 0)
        }
    }

    @Test("a duplicate mark id is rejected and the registry is unchanged")
    func duplicateRejected() throws {
        try withTemporaryDirectory { directory in
            let registry = try SQLiteRegistry(path: directory.appendingPathComponent("r.db").path, create: true)
            let original = sampleRecord(1 << 63, account: "first")
            try registry.insert(original)

            var impostor = sampleRecord(1 << 63, account: "second")
            impostor.manifest = Data([1, 2, 3])
            #expect(throws: RegistryError.duplicateMarkId(1 << 63)) { try registry.insert(impostor) }

            #expect(try registry.count() == 1)
            #expect(try registry.record(markId: 1 << 63) == original)
            #expect(try registry.records(account: nil) == [original])
            #expect(try registry.records(account: "second").isEmpty)

            // The failed insert rolled back its transaction: the registry still takes writes.
            try registry.insert(sampleRecord(7, account: "second"))
            #expect(try registry.count() == 2)
        }
    }

    @Test("records(account:) filters and orders by createdAt, then unsigned mark id")
    func listing() throws {
        try withTemporaryDirectory { directory in
            let registry = try SQLiteRegistry(path: directory.appendingPathComponent("r.db").path, create: true)
            let t0 = Date(timeIntervalSince1970: 1_700_000_000)
            let t1 = t0.addingTimeInterval(60)
            let later = [UInt64.max, 1 << 63, 5, 1].map { sampleRecord($0, account: "a", createdAt: t1) }
            let earlier = sampleRecord(UInt64.max - 1, account: "a", createdAt: t0)
            let other = sampleRecord(99, account: "b", createdAt: t1)
            for record in later + [other, earlier] { try registry.insert(record) }

            let expectedA = [earlier.markId, 1, 5, 1 << 63, UInt64.max]
            #expect(try registry.records(account: "a").map(\.markId) == expectedA)
            #expect(try registry.records(account: "b") == [other])
            #expect(try registry.records(account: "nobody").isEmpty)
            #expect(try registry.records(account: nil).map(\.markId) == [earlier.markId, 1, 5, 99, 1 << 63, UInt64.max])
        }
    }

    @Test("unusedMarkId gives non-zero ids that are not registered")
    func unusedIds() throws {
        try withTemporaryDirectory { directory in
            let registry = try SQLiteRegistry(path: directory.appendingPathComponent("r.db").path, create: true)
            var seen = Set<UInt64>()
            for _ in 0..<200 {
                let id = try registry.unusedMarkId()
                #expect(id != 0)
                #expect(try !registry.contains(markId: id))
                try registry.insert(sampleRecord(id))
                seen.insert(id)
            }
            #expect(seen.count == 200)
            #expect(try registry.count() == 200)
            // Uniform over 64 bits: some of 200 ids must land in the upper half (failure odds 2^-200).
            #expect(seen.contains { $0 >= 1 << 63 })
        }
    }

    @Test("data survives closing and reopening")
    func reopenKeepsData() throws {
        try withTemporaryDirectory { directory in
            let path = directory.appendingPathComponent("r.db").path
            let records = (1...5).map { sampleRecord(UInt64($0) << 60, account: "acct\($0 % 2)") }
            do {
                let registry = try SQLiteRegistry(path: path, create: true)
                for record in records { try registry.insert(record) }
            }
            let reopened = try SQLiteRegistry(path: path, create: false)
            #expect(try reopened.count() == 5)
            for record in records {
                #expect(try reopened.record(markId: record.markId) == record)
            }
        }
    }

    @Test("MarkRecord is Codable")
    func codable() throws {
        let record = MarkRecord(markId: .max, account: "a", manifest: Data([1, 2]))
        let decoded = try JSONDecoder().decode(MarkRecord.self, from: JSONEncoder().encode(record))
        #expect(decoded == record)
    }
}
