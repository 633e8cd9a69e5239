import HallmarkRegistry

/// Which issued marks informed detection scores a clip against.
public enum CandidateMode: String, Sendable, CaseIterable, Codable {
    /// The copies of the clip's source only (found through a decoded mark, the manifest or the
    /// reverse video search).
    case source
    /// Every mark in the registry.
    case registry
    /// The source when one is found, else (or when it accuses nobody) the whole registry.
    case auto
}

/// A set of candidate marks and how it was chosen.
struct CandidateSet {
    enum Origin: String { case source, registry }

    var origin: Origin
    var markIds: [UInt64]
    var sourceId: String?
    /// What pointed at the source (a decoded mark, the manifest's soft binding, the reverse search).
    var reason: String

    /// The copies of the source that `markId` was stamped from, when its record names a source.
    static func source(of markId: UInt64, reason: String, lookup: (UInt64) throws -> MarkRecord?,
                       registry: any MarkRegistry) throws -> CandidateSet? {
        guard let record = try lookup(markId), let sourceId = record.sourceId else { return nil }
        return try copies(of: sourceId, reason: reason, registry: registry)
    }

    /// The copies of `sourceId` (e.g. the source the reverse search matched), when it has any.
    static func copies(of sourceId: String, reason: String, registry: any MarkRegistry) throws -> CandidateSet? {
        let copies: [MarkRecord]
        do { copies = try registry.records(sourceId: sourceId) } catch {
            throw HallmarkError(.configuration, "registry: cannot list the copies of source \(sourceId): \(error)")
        }
        return copies.isEmpty ? nil : CandidateSet(origin: .source, markIds: copies.map(\.markId), sourceId: sourceId, reason: reason)
    }

    static func registry(_ registry: any MarkRegistry) throws -> CandidateSet {
        do {
            return CandidateSet(origin: .registry, markIds: try registry.markIds(), sourceId: nil, reason: "no source found: every issued mark")
        } catch {
            throw HallmarkError(.configuration, "registry: cannot list the issued marks: \(error)")
        }
    }
}
