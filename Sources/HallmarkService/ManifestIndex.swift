import Foundation
import Hallmark
import HallmarkRegistry
import Logging
import ServiceLifecycle

/// Finds a mark's manifest store by the store's active manifest label (`urn:c2pa:...`), the
/// `manifestId` of the Soft Binding Resolution API.
///
/// The registry indexes each record's label (schema version 6; stamps write it with the record),
/// so a lookup is one indexed query. Records written by older builds hold a manifest and no
/// label: `hallmark serve` labels them when it starts (`ManifestBackfill`), and a miss labels
/// any written since, at most once every `backfillInterval` (a public endpoint must not let
/// unknown ids trigger work each), so each legacy row is parsed once, ever.
actor ManifestIndex {
    private let registry: any MarkRegistry
    private let backfillInterval: Duration
    private var lastBackfill: ContinuousClock.Instant?

    init(registry: any MarkRegistry, backfillInterval: Duration = .seconds(10)) {
        self.registry = registry
        self.backfillInterval = backfillInterval
    }

    /// The manifest store whose active manifest is `label`, or nil.
    func store(label: String) async throws -> Data? {
        guard label != MarkRecord.noManifestLabel else { return nil }
        if let found = try registry.record(manifestLabel: label)?.manifest { return found }
        if let lastBackfill, ContinuousClock.now - lastBackfill < backfillInterval { return nil }
        guard try await backfill() > 0 else { return nil }
        return try registry.record(manifestLabel: label)?.manifest
    }

    /// Labels `record` now if it came from an older build, so that the manifest id a binding
    /// lookup has just answered with is found at once by `store(label:)`.
    func labelIfNeeded(_ record: MarkRecord) throws {
        guard record.manifestLabel == nil, record.manifest != nil else { return }
        try registry.setManifestLabels([record.markId: record.labelOfStore])
    }

    /// Labels every record that has a manifest and no label; returns how many it labelled.
    /// Yields between batches of `batchSize` (one transaction each), so that a large backfill
    /// does not hold a thread of the server's pool.
    @discardableResult
    func backfill(batchSize: Int = 256) async throws -> Int {
        lastBackfill = .now
        var labelled: Set<UInt64> = []
        while true {
            // A batch of rows already labelled means the updates did not take (a row rewritten
            // meanwhile by an older build): stop rather than loop.
            let batch = try registry.recordsWithoutManifestLabel(limit: batchSize).filter { !labelled.contains($0.markId) }
            try registry.setManifestLabels(Dictionary(batch.map { ($0.markId, $0.labelOfStore) }, uniquingKeysWith: { first, _ in first }))
            labelled.formUnion(batch.map(\.markId))
            if batch.count < batchSize { return labelled.count }
            await Task.yield()
        }
    }
}

/// Labels, when the server starts, the stores of records written before labels were indexed, so
/// that the first lookups do not wait for it. A failure (registry unreachable) is logged; the
/// misses retry it.
struct ManifestBackfill: Service {
    let index: ManifestIndex
    let logger: Logger

    func run() async {
        do {
            let start = ContinuousClock.now
            let labelled = try await index.backfill()
            if labelled > 0 {
                logger.notice("labelled the manifest stores of records from before schema version 6",
                            metadata: ["records": "\(labelled)", "seconds": "\((ContinuousClock.now - start).components.seconds)"])
            }
        } catch {
            logger.warning("cannot label the manifest stores of older records", metadata: ["error": "\(error)"])
        }
    }
}
