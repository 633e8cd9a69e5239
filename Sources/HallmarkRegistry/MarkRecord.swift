import Foundation

/// One issued watermark: which account received the clip carrying `markId`.
public struct MarkRecord: Sendable, Equatable, Codable {
    /// The 64-bit payload embedded in the video. SQL has no unsigned 64-bit type, so the
    /// store keeps its bit pattern as a signed 64-bit integer (ids >= 2^63 become negative in SQL).
    public var markId: UInt64
    /// The account (user, customer, recipient) the clip was delivered to.
    public var account: String
    public var clipLabel: String?
    /// SHA-256 of the source file, lowercase hex.
    public var inputSHA256: String?
    /// SHA-256 of the stamped file, lowercase hex.
    public var outputSHA256: String?
    /// Stored as integer milliseconds since 1970 (UTC); see `MarkRecord.millisecondPrecision(_:)`.
    public var createdAt: Date
    /// A short JSON description of the visible mark, if one was burned in.
    public var visibleMark: String?
    /// A C2PA manifest store (raw bytes). Empty `Data` and `nil` are kept distinct.
    public var manifest: Data?
    /// The label of `manifest`'s active manifest (`urn:c2pa:…`), indexed so that the store can be
    /// found by it (the Soft Binding Resolution API's `manifestId`). Nil in records written before
    /// schema version 6 until they are backfilled (`setManifestLabels`).
    public var manifestLabel: String?
    /// Whether the stamped file reached its destination (see `Delivery`).
    public var delivery: Delivery = .delivered
    /// Where the stamped file was written.
    public var outputPath: String?
    /// While `delivery` is pending: who is writing the output (`Delivery.owner`), so that a later
    /// run can tell a stamp in progress from one whose process died.
    public var pendingOwner: String?
    /// The source clip this copy was stamped from: copies of one generation issued to several
    /// accounts share it (by default the input's SHA-256).
    public var sourceId: String?

    /// What became of a stamp's output. The record is written before the output is renamed into
    /// place, so that no output ever exists without its record.
    public enum Delivery: String, Sendable, Codable, CaseIterable {
        /// The output is being written, or its process died before it was settled.
        case pending
        /// The output was moved into place.
        case delivered
        /// The output never appeared (the stamp failed or was killed before the rename).
        case notDelivered = "not-delivered"
    }

    /// `createdAt` is rounded to the millisecond here so that a record read back from a
    /// registry compares equal to the one that was inserted.
    public init(
        markId: UInt64,
        account: String,
        clipLabel: String? = nil,
        inputSHA256: String? = nil,
        outputSHA256: String? = nil,
        createdAt: Date = Date(),
        visibleMark: String? = nil,
        manifest: Data? = nil,
        delivery: Delivery = .delivered,
        outputPath: String? = nil,
        pendingOwner: String? = nil,
        sourceId: String? = nil,
        manifestLabel: String? = nil
    ) {
        self.manifestLabel = manifestLabel
        self.delivery = delivery
        self.outputPath = outputPath
        self.pendingOwner = pendingOwner
        self.sourceId = sourceId
        self.markId = markId
        self.account = account
        self.clipLabel = clipLabel
        self.inputSHA256 = inputSHA256
        self.outputSHA256 = outputSHA256
        self.createdAt = MarkRecord.millisecondPrecision(createdAt)
        self.visibleMark = visibleMark
        self.manifest = manifest
    }

    /// `date` rounded to the nearest millisecond: exactly what a registry stores and returns.
    public static func millisecondPrecision(_ date: Date) -> Date {
        guard let ms = unixMilliseconds(date) else { return date }
        return dateFrom(unixMilliseconds: ms)
    }

    /// Milliseconds since 1970-01-01T00:00:00Z, or nil when the date is not representable
    /// (non-finite or beyond the signed 64-bit range).
    static func unixMilliseconds(_ date: Date) -> Int64? {
        let ms = (date.timeIntervalSince1970 * 1000).rounded()
        // Int64(exactly:) rejects NaN/infinity and values outside the range instead of trapping.
        return Int64(exactly: ms)
    }

    static func dateFrom(unixMilliseconds ms: Int64) -> Date {
        Date(timeIntervalSince1970: Double(ms) / 1000)
    }
}
