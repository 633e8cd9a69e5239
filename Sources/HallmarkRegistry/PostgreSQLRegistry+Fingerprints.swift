import Foundation

/// The fingerprint index in PostgreSQL (tables of migration 4).
extension PostgreSQLRegistry {
    public func insert(_ record: MarkRecord, fingerprint: StoredFingerprint?) throws {
        guard let fingerprint else { return try insert(record) }
        try locked {
            try connection.transaction {
                try insertRow(record)
                _ = try storeRows(fingerprint)
            }
        }
    }

    @discardableResult
    public func storeFingerprint(_ fingerprint: StoredFingerprint) throws -> Bool {
        try locked { try connection.transaction { try storeRows(fingerprint) } }
    }

    /// Inside the caller's transaction: the fingerprint row and its keys, unless the source has one.
    func storeRows(_ fingerprint: StoredFingerprint) throws -> Bool {
        guard !fingerprint.sourceId.utf8.contains(0) else {
            throw RegistryError.invalidRecord("sourceId contains a NUL character, which PostgreSQL text cannot store")
        }
        let inserted = try connection.query(
            "INSERT INTO fingerprints (source_id, samples, created_at) VALUES ($1, $2, $3) ON CONFLICT (source_id) DO NOTHING RETURNING fingerprint_id",
            [.text(fingerprint.sourceId), .bytes(fingerprint.samples), .int64(MarkRecord.unixMilliseconds(Date()) ?? 0)])
        guard inserted.rowCount > 0, let id = inserted.int64(0, 0) else { return false }
        try insertKeys(fingerprint.keys, fingerprintId: id)
        return true
    }

    public func extendFingerprint(_ fingerprint: StoredFingerprint) throws -> Bool {
        try locked {
            try connection.transaction {
                let updated = try connection.query("UPDATE fingerprints SET samples = $1 WHERE source_id = $2 RETURNING fingerprint_id",
                                                   [.bytes(fingerprint.samples), .text(fingerprint.sourceId)])
                guard updated.rowCount > 0, let id = updated.int64(0, 0) else { return false }
                try insertKeys(fingerprint.keys, fingerprintId: id)
                return true
            }
        }
    }

    /// Inside the caller's transaction; keys already present are left as they are. The keys go as
    /// parallel arrays unnested server-side: one statement whatever their number.
    private func insertKeys(_ keys: [StoredFingerprint.Key], fingerprintId id: Int64) throws {
        guard !keys.isEmpty else { return }
        try connection.query("""
            INSERT INTO fingerprint_keys (key, fingerprint_id, sample)
            SELECT k, $2, s FROM unnest($1::bigint[], $3::integer[]) AS t(k, s) ON CONFLICT DO NOTHING
            """, [.text(Self.array(keys.map(\.key))), .int64(id), .text(Self.array(keys.map { Int64($0.sample) }))])
    }

    static func array(_ values: [Int64]) -> String { "{" + values.map(String.init).joined(separator: ",") + "}" }

    public func fingerprintHits(keys: [Int64]) throws -> [FingerprintHit] {
        guard !keys.isEmpty else { return [] }
        return try locked {
            let result = try connection.query(
                "SELECT key, fingerprint_id, sample FROM fingerprint_keys WHERE key = ANY($1::bigint[])",
                [.text(Self.array(Array(Set(keys))))])
            return (0..<result.rowCount).map { row in
                FingerprintHit(fingerprintId: result.int64(row, 1) ?? 0, sample: Int32(truncatingIfNeeded: result.int64(row, 2) ?? 0),
                               key: result.int64(row, 0) ?? 0)
            }
        }
    }

    public func fingerprints(ids: [Int64]) throws -> [FingerprintRow] {
        guard !ids.isEmpty else { return [] }
        return try locked {
            Self.rows(try connection.query("SELECT fingerprint_id, source_id, samples FROM fingerprints WHERE fingerprint_id = ANY($1::bigint[])",
                                           [.text(Self.array(ids))]))
        }
    }

    public func allFingerprints(limit: Int) throws -> [FingerprintRow] {
        try locked {
            Self.rows(try connection.query("SELECT fingerprint_id, source_id, samples FROM fingerprints ORDER BY fingerprint_id LIMIT $1",
                                           [.int64(Int64(limit))]))
        }
    }

    public func fingerprintCount() throws -> Int {
        try locked { Int(try connection.query("SELECT COUNT(*) FROM fingerprints").int64(0, 0) ?? 0) }
    }

    public func fingerprintId(sourceId: String) throws -> Int64? {
        if sourceId.utf8.contains(0) { return nil }
        return try locked {
            let result = try connection.query("SELECT fingerprint_id FROM fingerprints WHERE source_id = $1", [.text(sourceId)])
            return result.rowCount > 0 ? result.int64(0, 0) : nil
        }
    }

    private static func rows(_ result: PostgresResult) -> [FingerprintRow] {
        (0..<result.rowCount).map { row in
            FingerprintRow(fingerprintId: result.int64(row, 0) ?? 0, sourceId: result.text(row, 1) ?? "", samples: result.bytes(row, 2) ?? Data())
        }
    }

    /// Runs raw SQL (the benchmark's bulk synthetic rows).
    public func executeForBenchmark(_ sql: String) throws {
        _ = try locked { try connection.query(sql) }
    }
}

extension PostgreSQLRegistry {
    /// Many fingerprints in one transaction (bulk loading, the search benchmark).
    public func storeFingerprints(_ batch: [StoredFingerprint]) throws {
        try locked { try connection.transaction { for fingerprint in batch { _ = try storeRows(fingerprint) } } }
    }
}
