import Foundation

/// The fingerprint index in SQLite (tables of migration 4).
extension SQLiteRegistry {
    public func insert(_ record: MarkRecord, fingerprint: StoredFingerprint?) throws {
        try locked {
            try connection.immediateTransaction {
                try insertRow(record)
                if let fingerprint { _ = try storeRows(fingerprint) }
            }
        }
    }

    @discardableResult
    public func storeFingerprint(_ fingerprint: StoredFingerprint) throws -> Bool {
        try locked { try connection.immediateTransaction { try storeRows(fingerprint) } }
    }

    /// Inside the caller's transaction: the fingerprint row and its keys, unless the source has one.
    func storeRows(_ fingerprint: StoredFingerprint) throws -> Bool {
        let inserted = try connection.withStatement(
            "INSERT INTO fingerprints (source_id, samples, created_at) VALUES (?, ?, ?) ON CONFLICT (source_id) DO NOTHING RETURNING fingerprint_id"
        ) { statement -> Int64? in
            try statement.bind(1, fingerprint.sourceId)
            try statement.bind(2, fingerprint.samples)
            try statement.bind(3, MarkRecord.unixMilliseconds(Date()) ?? 0)
            return try statement.step() ? statement.int64(0) : nil
        }
        guard let id = inserted else { return false }
        try insertKeys(fingerprint.keys, fingerprintId: id)
        return true
    }

    public func extendFingerprint(_ fingerprint: StoredFingerprint) throws -> Bool {
        try locked {
            try connection.immediateTransaction {
                let updated = try connection.withStatement("UPDATE fingerprints SET samples = ? WHERE source_id = ? RETURNING fingerprint_id") { statement -> Int64? in
                    try statement.bind(1, fingerprint.samples)
                    try statement.bind(2, fingerprint.sourceId)
                    return try statement.step() ? statement.int64(0) : nil
                }
                guard let id = updated else { return false }
                try insertKeys(fingerprint.keys, fingerprintId: id)
                return true
            }
        }
    }

    /// Inside the caller's transaction; keys already present are left as they are.
    private func insertKeys(_ keys: [StoredFingerprint.Key], fingerprintId id: Int64) throws {
        try connection.withStatement("INSERT OR IGNORE INTO fingerprint_keys (key, fingerprint_id, sample) VALUES (?, ?, ?)") { statement in
            for key in keys {
                statement.reset()
                try statement.bind(1, key.key)
                try statement.bind(2, id)
                try statement.bind(3, Int64(key.sample))
                try statement.step()
            }
        }
    }

    public func fingerprintHits(keys: [Int64]) throws -> [FingerprintHit] {
        let unique = Array(Set(keys))
        var hits: [FingerprintHit] = []
        // In batches, well under SQLite's bound-parameter limit.
        for start in stride(from: 0, to: unique.count, by: 500) {
            let batch = unique[start..<min(unique.count, start + 500)]
            let marks = Array(repeating: "?", count: batch.count).joined(separator: ",")
            try locked {
                try connection.withStatement("SELECT key, fingerprint_id, sample FROM fingerprint_keys WHERE key IN (\(marks))") { statement in
                    for (i, key) in batch.enumerated() { try statement.bind(Int32(i + 1), key) }
                    while try statement.step() {
                        hits.append(FingerprintHit(fingerprintId: statement.int64(1), sample: Int32(truncatingIfNeeded: statement.int64(2)), key: statement.int64(0)))
                    }
                }
            }
        }
        return hits
    }

    public func fingerprints(ids: [Int64]) throws -> [FingerprintRow] {
        guard !ids.isEmpty else { return [] }
        let marks = Array(repeating: "?", count: ids.count).joined(separator: ",")
        return try locked {
            try connection.withStatement("SELECT fingerprint_id, source_id, samples FROM fingerprints WHERE fingerprint_id IN (\(marks))") { statement in
                for (i, id) in ids.enumerated() { try statement.bind(Int32(i + 1), id) }
                return try Self.rows(statement)
            }
        }
    }

    public func allFingerprints(limit: Int) throws -> [FingerprintRow] {
        try locked {
            try connection.withStatement("SELECT fingerprint_id, source_id, samples FROM fingerprints ORDER BY fingerprint_id LIMIT ?") { statement in
                try statement.bind(1, Int64(limit))
                return try Self.rows(statement)
            }
        }
    }

    public func fingerprintCount() throws -> Int {
        try locked {
            try connection.withStatement("SELECT COUNT(*) FROM fingerprints") { statement in
                try statement.step()
                return Int(statement.int64(0))
            }
        }
    }

    public func fingerprintId(sourceId: String) throws -> Int64? {
        try locked {
            try connection.withStatement("SELECT fingerprint_id FROM fingerprints WHERE source_id = ?") { statement in
                try statement.bind(1, sourceId)
                return try statement.step() ? statement.int64(0) : nil
            }
        }
    }

    private static func rows(_ statement: SQLiteStatement) throws -> [FingerprintRow] {
        var rows: [FingerprintRow] = []
        while try statement.step() {
            rows.append(FingerprintRow(fingerprintId: statement.int64(0), sourceId: statement.text(1) ?? "", samples: statement.blob(2) ?? Data()))
        }
        return rows
    }
}

extension SQLiteRegistry {
    /// Many fingerprints in one transaction (bulk loading, the search benchmark).
    public func storeFingerprints(_ batch: [StoredFingerprint]) throws {
        try locked { try connection.immediateTransaction { for fingerprint in batch { _ = try storeRows(fingerprint) } } }
    }
}
