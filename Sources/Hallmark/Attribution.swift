import Foundation
import HallmarkRegistry
import HallmarkSignal

/// Turns detections into accounts through the registry, never naming an account on weak evidence.
///
/// Two kinds of evidence name an account:
/// - **decoded**: the blind decoder read a mark id whose CRC holds. Its false-attribution
///   probability is the detection's p-value (which counts every tiling, orientation and shift
///   searched) times the marks in the registry, times the windows examined for a window's claim.
/// - **informed**: the candidate marks' codewords are scored against the data cells at the
///   geometry the sync search found (`CollusionTracer`), for the whole clip (at the best tiling
///   and at the few runner-up tilings, since at low signal the right one is not always first) and
///   every window.
///   The candidates are the copies of the clip's source when a decoded mark, the manifest or the
///   reverse search points at one, else every issued mark. A score's false-accusation probability
///   is `Q(z) × candidates × (windows + tilings read over the whole clip) × 2`. Greedy
///   explaining-away names every contributor of an averaged or spliced copy and no innocent whose
///   codeword merely resembles a guilty one.
/// - **informed, tile search**: when the blind search found no mark and the candidates are few,
///   each candidate's whole tile chooses where to read the data cells (`TileSearch`), and the
///   scores read there count every geometry it could have chosen:
///   `Q(z) × candidates × hypotheses × 2`. The two informed procedures share the
///   false-accusation budget equally (the factors 2), whether or not the tile search runs.
///
/// An account is named only when its probability is at or below the threshold.
struct Attribution {
    let registry: (any MarkRegistry)?
    let windowCount: Int
    let registrySize: Int
    let log10Threshold: Double
    let mode: CandidateMode
    /// How many times the clip was analysed (see `WatermarkDetector.init(looks:)`).
    let looks: Int
    let tracer = CollusionTracer()
    /// Each candidate's tile searched over the whole clip (`WatermarkDetector.tileSearch`), nil
    /// when there are no accumulated frames to search.
    var tileSearch: (([UInt64]) -> [WatermarkDetector.TileMatch])? = nil
    /// The two informed procedures (at the sync's geometries, and the tile search) each get half
    /// of the false-accusation budget.
    static let informedProcedures = 2.0

    /// - Throws: a configuration error when the registry cannot be read: a failed count would
    ///   understate the false-attribution probability, a failed lookup would read as "not issued".
    init(registry: (any MarkRegistry)?, windowCount: Int, threshold: Double, mode: CandidateMode = .auto, looks: Int = 1) throws {
        self.registry = registry
        self.looks = max(1, looks)
        self.windowCount = max(1, windowCount)
        self.log10Threshold = log10(threshold)
        self.mode = mode
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

    /// Evidence for one mark, gathered over the whole clip and the windows.
    private struct Evidence {
        var markId: UInt64
        var decoded = false
        var score = -Double.infinity
        var log10P = 0.0
        var windows: [Int] = []
        var wholeClip = false

        mutating func add(score: Double, log10P: Double, decoded: Bool, window: Int?) {
            self.decoded = self.decoded || decoded
            self.score = max(self.score, score)
            self.log10P = min(self.log10P, log10P)
            if let window { if !windows.contains(window) { windows.append(window) } } else { wholeClip = true }
        }
    }

    /// - Parameter softBindingMarkId: the mark id the file's manifest names, if any (it points at
    ///   the source even when the watermark is too weak to decode).
    /// - Parameter matchedSources: the sources the reverse video search matched, best first (they
    ///   point at the source when neither a decoded mark nor the manifest does).
    func trace(whole: DetectionResult, windows: [(DecodedClip.Window, DetectionResult)],
               softBindingMarkId: UInt64?, matchedSources: [String] = []) throws -> (VerificationReport.Trace, MarkRecord?) {
        var trace = VerificationReport.Trace(account: nil, clipLabel: nil, issuedAt: nil, markId: nil, falseAttributionProbability: nil,
                                             registryMarks: registry == nil ? nil : registrySize, note: nil,
                                             accounts: [], windows: [], candidate: nil)
        trace.windows = windows.map { window, result in
            VerificationReport.TraceWindow(
                start: window.start, end: window.end, account: nil, markId: nil, falseAttributionProbability: nil,
                detected: result.detected, pValue: result.pValue, syncScore: result.syncZ, framesAnalyzed: result.framesAnalyzed,
                note: result.detected ? "watermark present, no account named" : "not enough signal in this window")
        }
        guard let registry else {
            trace.note = "no registry at this home"
            return (trace, nil)
        }
        var evidence: [UInt64: Evidence] = [:]
        func record(_ markId: UInt64, score: Double, log10P: Double, decoded: Bool, window: Int?) {
            guard log10P <= log10Threshold else { return }
            evidence[markId, default: Evidence(markId: markId)].add(score: score, log10P: log10P, decoded: decoded, window: window)
        }

        // Decoded evidence: mark ids read blind, when they are in the registry.
        var decodedIds: [UInt64] = []
        let scale = log10(Double(max(1, registrySize)))
        if let id = whole.markId {
            if try lookup(id) != nil {
                decodedIds.append(id)
                record(id, score: whole.syncZ, log10P: min(0, whole.log10PValue + scale), decoded: true, window: nil)
            } else {
                trace.note = "mark id \(MarkID.hex(id)) is not in this registry"
            }
        }
        for (index, (_, result)) in windows.enumerated() {
            guard let id = result.markId else { continue }
            guard try lookup(id) != nil else {
                trace.windows[index].markId = MarkID.hex(id)
                trace.windows[index].note = "mark id not in the registry"
                continue
            }
            if !decodedIds.contains(id) { decodedIds.append(id) }
            record(id, score: result.syncZ, log10P: min(0, result.log10PValue + scale + log10(Double(windowCount))), decoded: true, window: index)
        }

        // Informed evidence, against the source's copies and, failing that, the whole registry.
        var sets: [CandidateSet] = []
        if mode != .registry {
            let pointers = decodedIds.map { ($0, "the decoded mark \(MarkID.hex($0))") }
                + (softBindingMarkId.map { [($0, "the manifest's soft binding \(MarkID.hex($0))")] } ?? [])
            for (id, reason) in pointers {
                if let set = try CandidateSet.source(of: id, reason: reason, lookup: lookup, registry: registry) {
                    sets.append(set)
                    break
                }
            }
            if sets.isEmpty, let sourceId = matchedSources.first,
               let set = try CandidateSet.copies(of: sourceId, reason: "the reverse search's match \(sourceId.prefix(16))", registry: registry) {
                sets.append(set)
            }
        }
        var tested = 0.0
        var nearMiss: CollusionTracer.Accusation? = nil
        // The whole clip is read at the best tiling and at the runners-up (each one more test).
        let geometries = [whole.codedSoft] + whole.alternativeCodedSoft
        func score(_ set: CandidateSet) {
            tested += Double(set.markIds.count)
            // Every candidate tested so far, in the whole clip (at each geometry) and in each window.
            let multiplicity = tested * Double(windowCount + geometries.count) * Double(looks) * Self.informedProcedures
            var misses: [CollusionTracer.Accusation?] = []
            for soft in geometries {
                let wholeResult = tracer.accuse(soft: soft, candidates: set.markIds, multiplicity: multiplicity, log10Threshold: log10Threshold)
                for accusation in wholeResult.accused {
                    record(accusation.markId, score: accusation.z, log10P: accusation.log10FalseAccusation, decoded: false, window: nil)
                }
                misses.append(wholeResult.nearMiss)
            }
            for (index, (_, result)) in windows.enumerated() where windows.count > 1 {
                let windowResult = tracer.accuse(soft: result.codedSoft, candidates: set.markIds, multiplicity: multiplicity, log10Threshold: log10Threshold)
                for accusation in windowResult.accused {
                    record(accusation.markId, score: accusation.z, log10P: accusation.log10FalseAccusation, decoded: false, window: index)
                }
                misses.append(windowResult.nearMiss)
            }
            // A weak mark: the sync may have chosen a wrong geometry; the candidates' tiles choose again.
            if let tileSearch, !whole.detected, set.markIds.count <= WatermarkDetector.tileSearchLimit {
                let searched = tested * WatermarkDetector.tileSearchHypotheses(tilings: whole.tilings.count) * Double(looks) * Self.informedProcedures
                for match in tileSearch(set.markIds) {
                    let result = tracer.accuse(soft: match.codedSoft, candidates: set.markIds, multiplicity: searched, log10Threshold: log10Threshold)
                    for accusation in result.accused {
                        record(accusation.markId, score: accusation.z, log10P: accusation.log10FalseAccusation, decoded: false, window: nil)
                    }
                    misses.append(result.nearMiss)
                }
            }
            for case let miss? in misses where evidence[miss.markId] == nil {
                if nearMiss == nil || miss.log10FalseAccusation < nearMiss!.log10FalseAccusation { nearMiss = miss }
            }
        }
        if mode != .registry, let set = sets.first {
            score(set)
        }
        if mode == .registry || (mode == .auto && evidence.isEmpty) {
            let all = try CandidateSet.registry(registry)
            sets.append(all)
            score(all)
        }
        if let set = sets.last {
            trace.candidateSet = .init(kind: set.origin.rawValue, size: Int(tested), sourceId: set.sourceId,
                                       reason: sets.count > 1 ? "\(sets[0].reason) accused nobody: every issued mark" : set.reason)
        }

        // Accounts, strongest first; one entry per account (its strongest mark).
        var accused: [(VerificationReport.Accused, MarkRecord)] = []
        for item in evidence.values.sorted(by: { ($0.log10P, -$0.score) < ($1.log10P, -$1.score) }) {
            guard let record = try lookup(item.markId) else { continue }
            if accused.contains(where: { $0.1.account == record.account }) { continue }
            let ranges = item.windows.sorted().map { [windows[$0].0.start, windows[$0].0.end] }
            let clip = [windows.first?.0.start ?? 0, windows.last?.0.end ?? 0]
            accused.append((.init(account: record.account, markId: MarkID.hex(item.markId), score: item.score,
                                  falseAccusationProbability: pow(10, item.log10P), log10FalseAccusationProbability: item.log10P,
                                  probabilityIsBound: item.log10P < -15, windows: ranges.isEmpty ? [clip] : ranges,
                                  evidence: item.decoded ? "decoded" : "informed"), record))
            for index in item.windows {
                trace.windows[index].accounts.append(record.account)
                if trace.windows[index].account == nil {
                    trace.windows[index].account = record.account
                    trace.windows[index].markId = MarkID.hex(item.markId)
                    trace.windows[index].falseAttributionProbability = pow(10, item.log10P)
                    trace.windows[index].note = nil
                }
            }
        }
        trace.accused = accused.map(\.0)
        trace.accounts = accused.map(\.0.account)

        if accused.count == 1, let (named, record) = accused.first {
            trace.account = named.account
            trace.markId = named.markId
            trace.clipLabel = record.clipLabel
            trace.issuedAt = ISO8601DateFormatter().string(from: record.createdAt)
            trace.falseAttributionProbability = named.falseAccusationProbability
            trace.note = nil
            return (trace, record)
        }
        if accused.count > 1 {
            let sharing = evidence.values.filter { $0.wholeClip }.count > 1
                || trace.windows.contains { Set($0.accounts).count > 1 }
            trace.note = sharing
                ? "this copy mixes \(accused.count) accounts' copies (averaged or interleaved): at least these accounts contributed"
                : "spliced from \(accused.count) accounts' copies: see trace.windows"
            return (trace, accused[0].1)
        }
        // Nobody named: show the best candidate as such.
        if let miss = nearMiss, let record = try lookup(miss.markId) {
            trace.candidate = .init(markId: MarkID.hex(miss.markId), account: record.account,
                                    falseAttributionProbability: pow(10, miss.log10FalseAccusation))
            trace.note = trace.note ?? "evidence too weak to name an account; the best candidate is shown as such"
        } else {
            trace.note = trace.note ?? (whole.detected ? "watermark present but no issued mark matches it" : "no mark id was read")
        }
        return (trace, nil)
    }
}
