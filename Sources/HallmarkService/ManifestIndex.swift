import Foundation
import HallmarkC2PA
import HallmarkRegistry

/// Finds a mark's manifest store by the store's active manifest label (`urn:c2pa:...`), the
/// `manifestId` of the Soft Binding Resolution API.
///
/// The registry keeps each mark's store in its `manifest` column but has no column for the
/// label, so the index maps labels to mark ids in memory. It is filled from a scan of the
/// registry on the first lookup and again on a miss, at most once every `refreshInterval`
/// (a public endpoint must not let unknown ids trigger a scan each), and checked against the
/// registry on every hit. An indexed `manifest_id` column would turn this into a query.
actor ManifestIndex {
    private let registry: any MarkRegistry
    private let refreshInterval: Duration
    private var markIds: [String: UInt64] = [:]
    private var lastScan: ContinuousClock.Instant?

    init(registry: any MarkRegistry, refreshInterval: Duration = .seconds(10)) {
        self.registry = registry
        self.refreshInterval = refreshInterval
    }

    /// The label of the active (last) manifest of a JUMBF manifest store.
    static func activeLabel(of store: Data) -> String? {
        guard let box = try? JUMBF.parse([UInt8](store)), box.description?.typeCode == "c2pa" else { return nil }
        return box.children.last { ["c2ma", "c2um"].contains($0.description?.typeCode ?? "") }?.label
    }

    /// The manifest store whose active manifest is `label`, or nil.
    func store(label: String) throws -> Data? {
        if let found = try checked(label) { return found }
        if let lastScan, ContinuousClock.now - lastScan < refreshInterval { return nil }
        try scan()
        return try checked(label)
    }

    /// Remembers a label seen elsewhere (a binding just resolved), so its store is found at once.
    func note(label: String, markId: UInt64) {
        markIds[label] = markId
    }

    private func checked(_ label: String) throws -> Data? {
        guard let id = markIds[label] else { return nil }
        guard let store = try registry.record(markId: id)?.manifest, Self.activeLabel(of: store) == label else {
            markIds[label] = nil
            return nil
        }
        return store
    }

    private func scan() throws {
        var found: [String: UInt64] = [:]
        for record in try registry.records(account: nil) {
            if let store = record.manifest, let label = Self.activeLabel(of: store) { found[label] = record.markId }
        }
        markIds = found
        lastScan = .now
    }
}
