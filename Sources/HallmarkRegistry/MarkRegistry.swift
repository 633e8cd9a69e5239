/// The store that maps every issued mark id to the account that received the clip.
///
/// Implementations must be safe to call from several threads at once, and several processes
/// may have the same registry open for writing at the same time.
public protocol MarkRegistry: FingerprintIndex {
    /// Adds `record` atomically. Throws `RegistryError.duplicateMarkId` (and changes nothing)
    /// if a record with the same mark id already exists.
    func insert(_ record: MarkRecord) throws

    /// The record for `markId`, or nil if the id was never issued.
    func record(markId: UInt64) throws -> MarkRecord?

    func contains(markId: UInt64) throws -> Bool

    /// The number of records.
    func count() throws -> Int

    /// All records of `account` (nil: every record), ordered by `createdAt`, then by `markId`
    /// (as an unsigned number).
    func records(account: String?) throws -> [MarkRecord]

    /// Sets the delivery state of `markId` (clearing `pendingOwner` unless it stays pending).
    /// Throws `RegistryError.notFound`-like errors only for database failures; an unknown id
    /// changes nothing.
    func setDelivery(markId: UInt64, to delivery: MarkRecord.Delivery) throws

    /// Records still pending delivery, oldest first.
    func pendingRecords() throws -> [MarkRecord]

    /// Records stamped from `sourceId`, oldest first.
    func records(sourceId: String) throws -> [MarkRecord]

    /// The newest record whose `manifestLabel` is `label`, or nil (an indexed lookup).
    func record(manifestLabel label: String) throws -> MarkRecord?

    /// Up to `limit` records that hold a manifest but no `manifestLabel` (written by a build older
    /// than schema version 6), oldest first, for `setManifestLabels` to backfill.
    func recordsWithoutManifestLabel(limit: Int) throws -> [MarkRecord]

    /// Sets the `manifestLabel` of each mark id (computed by the caller from its manifest), in
    /// one transaction. Unknown ids change nothing.
    func setManifestLabels(_ labels: [UInt64: String]) throws

    /// Every issued mark id (the codebook informed detection scores when no source narrows it).
    func markIds() throws -> [UInt64]

    /// A uniformly random non-zero id that is not in the registry at the moment of the call.
    ///
    /// Nothing is reserved: another writer could insert the same id before this caller does,
    /// in which case `insert` throws `duplicateMarkId`. With 2^64 ids this is astronomically
    /// unlikely, but callers must not treat that error as impossible.
    func unusedMarkId() throws -> UInt64
}

/// Registries without a fingerprint index (test doubles): nothing stored, nothing found.
extension FingerprintIndex {
    @discardableResult
    public func storeFingerprint(_ fingerprint: StoredFingerprint) throws -> Bool { false }
    public func fingerprintHits(keys: [Int64]) throws -> [FingerprintHit] { [] }
    public func fingerprints(ids: [Int64]) throws -> [FingerprintRow] { [] }
    public func allFingerprints(limit: Int) throws -> [FingerprintRow] { [] }
    public func fingerprintCount() throws -> Int { 0 }
    public func fingerprintId(sourceId: String) throws -> Int64? { nil }
    public func extendFingerprint(_ fingerprint: StoredFingerprint) throws -> Bool { false }
}

extension FingerprintIndex where Self: MarkRegistry {
    public func insert(_ record: MarkRecord, fingerprint: StoredFingerprint?) throws { try insert(record) }
}
