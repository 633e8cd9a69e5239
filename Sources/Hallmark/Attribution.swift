import Foundation
import HallmarkRegistry
import HallmarkSignal

/// Turns detections into accounts through the registry, never naming an account on weak evidence.
///
/// The false-attribution probability of a detection is its p-value (which already counts every
/// tiling, orientation and shift searched) times the number of marks in the registry (any of
/// them could have been the one falsely matched), times the number of time windows examined
/// when the claim is about one window among several.
struct Attribution {
    let registry: (any MarkRegistry)?
    let windowCount: Int
    let registrySize: Int

    /// - Throws: a configuration error when the registry cannot be read: a failed count would
    ///   understate the false-attribution probability, a failed lookup would read as "not issued".
    init(registry: (any MarkRegistry)?, windowCount: Int) throws {
        self.registry = registry
        self.windowCount = max(1, windowCount)
        do {
            registrySize = try registry?.count() ?? 0
        } catch {
            throw HallmarkError(.configuration, "registry: cannot count the issued marks: \(error)")
        }
    }

    private func lookup(_ id: UInt64) throws -> MarkRecord? {
        guard let registry else { return nil }
        do {
            return try registry.record(markId: id)
        } catch {
            throw HallmarkError(.configuration, "registry: cannot look up mark \(MarkID.hex(id)): \(error)")
        }
    }

    func trace(whole: DetectionResult, windows: [(DecodedClip.Window, DetectionResult)]) throws -> (VerificationReport.Trace, MarkRecord?) {
        var trace = VerificationReport.Trace(account: nil, clipLabel: nil, issuedAt: nil, markId: nil, falseAttributionProbability: nil,
                                             registryMarks: registry == nil ? nil : registrySize, note: nil,
                                             accounts: [], windows: [], candidate: nil)
        let scale = Double(max(1, registrySize))

        // Window by window.
        for (window, result) in windows {
            var entry = VerificationReport.TraceWindow(
                start: window.start, end: window.end, account: nil, markId: nil, falseAttributionProbability: nil,
                detected: result.detected, pValue: result.pValue, syncScore: result.syncZ, framesAnalyzed: result.framesAnalyzed, note: nil)
            if let id = result.markId, let record = try lookup(id) {
                entry.account = record.account
                entry.markId = MarkID.hex(id)
                entry.falseAttributionProbability = min(1, result.pValue * scale * Double(windowCount))
            } else if result.markId != nil {
                entry.markId = result.markId.map(MarkID.hex)
                entry.note = "mark id not in the registry"
            } else {
                entry.note = result.detected ? "watermark present, payload unreadable" : "not enough signal in this window"
            }
            trace.windows.append(entry)
        }
        var seen = Set<String>()
        trace.accounts = trace.windows.compactMap(\.account).filter { seen.insert($0).inserted }

        guard registry != nil else {
            trace.note = "no registry at this home"
            return (trace, nil)
        }
        // The whole clip.
        if let id = whole.markId {
            trace.markId = MarkID.hex(id)
            if let record = try lookup(id) {
                trace.account = record.account
                trace.clipLabel = record.clipLabel
                trace.issuedAt = ISO8601DateFormatter().string(from: record.createdAt)
                trace.falseAttributionProbability = min(1, whole.pValue * scale)
                if !trace.accounts.contains(record.account) { trace.accounts.insert(record.account, at: 0) }
                if trace.accounts.count > 1 { trace.note = "several accounts' copies: see trace.windows" }
                return (trace, record)
            }
            trace.note = "mark id \(MarkID.hex(id)) is not in this registry"
            return (trace, nil)
        }
        if trace.accounts.count == 1, let account = trace.accounts.first {
            // Only windows were readable, and they agree.
            let best = trace.windows.filter { $0.account == account }.min { ($0.falseAttributionProbability ?? 1) < ($1.falseAttributionProbability ?? 1) }
            trace.account = account
            trace.markId = best?.markId
            trace.falseAttributionProbability = best?.falseAttributionProbability
            let record = try best?.markId.flatMap(MarkID.parse).flatMap(lookup)
            trace.clipLabel = record?.clipLabel
            trace.issuedAt = record.map { ISO8601DateFormatter().string(from: $0.createdAt) }
            return (trace, record)
        }
        if trace.accounts.count > 1 {
            trace.note = "spliced from \(trace.accounts.count) accounts' copies: see trace.windows"
            return (trace, nil)
        }
        // Nothing attributed: show the best candidate as such, when its payload at least checks out.
        if whole.crcValid, let record = try lookup(whole.candidateMarkId) {
            trace.candidate = .init(markId: MarkID.hex(whole.candidateMarkId), account: record.account,
                                    falseAttributionProbability: min(1, whole.pValue * scale))
            trace.note = "evidence too weak to attribute; the best candidate is shown as such"
        } else {
            trace.note = whole.detected ? "watermark present but its payload is unreadable" : "no mark id was read"
        }
        return (trace, nil)
    }
}
