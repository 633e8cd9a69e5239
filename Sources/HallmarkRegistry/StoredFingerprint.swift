import Foundation

/// A source clip's content fingerprint as the registry keeps it: opaque sample bytes (the
/// fingerprint module's encoding) and the index keys that find it.
///
/// Copies of one generation share a source, so there is at most one fingerprint per `sourceId`.
/// Keys are multi-index-hashing keys: each is (substring position << 16 | 16-bit substring value)
/// of one sample's hash, with the sample's index, so that a lookup by exact substring finds the
/// (source, time) pairs a query sample may match without scanning every fingerprint.
public struct StoredFingerprint: Sendable, Equatable {
    public struct Key: Sendable, Equatable, Hashable {
        public var key: Int64
        public var sample: Int32
        public init(key: Int64, sample: Int32) {
            self.key = key
            self.sample = sample
        }
    }

    public var sourceId: String
    public var samples: Data
    public var keys: [Key]

    public init(sourceId: String, samples: Data, keys: [Key]) {
        self.sourceId = sourceId
        self.samples = samples
        self.keys = keys
    }
}

/// One index hit: fingerprint `fingerprintId` has `key` at sample `sample`.
public struct FingerprintHit: Sendable, Equatable {
    public var fingerprintId: Int64
    public var sample: Int32
    public var key: Int64
}

/// A fingerprint read back with its registry id.
public struct FingerprintRow: Sendable, Equatable {
    public var fingerprintId: Int64
    public var sourceId: String
    public var samples: Data
}

/// The fingerprint index of a registry (SQLite and PostgreSQL implement it; see `MarkRegistry`).
public protocol FingerprintIndex: Sendable {
    /// Stores `fingerprint` unless its source already has one; returns whether it stored it.
    @discardableResult
    func storeFingerprint(_ fingerprint: StoredFingerprint) throws -> Bool

    /// Inserts `record` and, when given and its source has none yet, `fingerprint`, in one
    /// transaction: a stamp's record never exists without its source's fingerprint.
    func insert(_ record: MarkRecord, fingerprint: StoredFingerprint?) throws

    /// Every (fingerprint, sample) holding one of `keys`.
    func fingerprintHits(keys: [Int64]) throws -> [FingerprintHit]

    /// The fingerprints with these ids (any order).
    func fingerprints(ids: [Int64]) throws -> [FingerprintRow]

    /// Every fingerprint, for an exhaustive search of a small index.
    func allFingerprints(limit: Int) throws -> [FingerprintRow]

    /// How many source fingerprints are indexed.
    func fingerprintCount() throws -> Int

    /// The fingerprint stored for `sourceId`, if any.
    func fingerprintId(sourceId: String) throws -> Int64?

    /// Replaces the samples of the fingerprint stored for `fingerprint.sourceId` with the newer
    /// version's and adds the keys it lacks, in one transaction; returns false when the source has
    /// none. No key is removed: a newer fingerprint version keeps every hash (and so every key)
    /// of the older one and adds its own.
    func extendFingerprint(_ fingerprint: StoredFingerprint) throws -> Bool
}
