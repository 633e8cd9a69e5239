import Foundation
import HallmarkMedia

/// Everything `verify` found about one file; its JSON form is what scripts read.
public struct VerificationReport: Sendable, Codable {
    public struct Watermark: Sendable, Codable {
        /// False when the verifier held no watermark key: nothing was looked for, `detected` is
        /// false without meaning "absent", and `note` says why.
        public var checked: Bool
        public var detected: Bool
        /// 16 lowercase hexadecimal digits, or nil.
        public var markId: String?
        /// False-positive probability over every hypothesis searched.
        public var pValue: Double
        public var log10PValue: Double
        public var threshold: Double
        public var framesAnalyzed: Int
        public var syncScore: Double
        public var hypothesesSearched: Double
        public var payloadCRCValid: Bool
        /// When the CRC holds: the data cells' agreement with the decoded payload, in standard
        /// deviations of an empirical null (evidence the p-value combines with the sync score).
        public var payloadScore: Double?
        /// Tile period relative to an unscaled frame of this size (1 = no rescale or crop).
        public var relativeScale: Double?
        public var rotationDegrees: Double?
        /// A plain-words qualification, e.g. when the clip is too short to decide.
        public var note: String?
        /// True when the verdict rests on the reference frames alone (the non-reference ones
        /// were not decoded); false when every frame was decoded.
        public var referenceFramesOnly: Bool?
        /// How many times the clip was analysed; `pValue` is multiplied by it.
        public var looks: Int?
    }

    public struct VisibleWatermark: Sendable, Codable {
        public var detected: Bool
        public var text: String?
        public var positions: [VisiblePosition]
        public var note: String?
    }

    public struct VisiblePosition: Sendable, Codable {
        public var start: Double
        public var end: Double
        public var corner: String
        public var x: Int
        public var y: Int
        public var score: Double
    }

    public struct Trace: Sendable, Codable {
        /// The account the clip (as a whole) was issued to, or nil when not attributed.
        public var account: String?
        public var clipLabel: String?
        public var issuedAt: String?
        public var markId: String?
        public var falseAttributionProbability: Double?
        public var registryMarks: Int?
        public var note: String?
        /// Distinct accounts attributed anywhere in the clip.
        public var accounts: [String]
        /// Time windows attributed on their own (a clip spliced from several copies).
        public var windows: [TraceWindow]
        /// The best reading when the evidence was too weak to attribute.
        public var candidate: Candidate?
        /// Every account the evidence names, strongest first: at least these contributed.
        public var accused: [Accused] = []
        /// The marks the clip was scored against (informed detection).
        public var candidateSet: CandidateSetSummary?
    }

    /// One account the evidence names.
    public struct Accused: Sendable, Codable {
        public var account: String
        public var markId: String
        /// The strongest score behind the accusation, in standard deviations (informed detection),
        /// or the sync score of a blind decode.
        public var score: Double
        /// Probability that an account that did not contribute is named with evidence this strong.
        public var falseAccusationProbability: Double
        public var log10FalseAccusationProbability: Double
        /// True below 1e-15: a model extrapolation that ranks evidence, not a measured frequency.
        public var probabilityIsBound: Bool
        /// Time ranges (seconds) in which this account is named on its own evidence.
        public var windows: [[Double]]
        /// "decoded" (the blind decoder read its mark id) or "informed" (its codeword scored
        /// against the issued ones).
        public var evidence: String
    }

    public struct CandidateSetSummary: Sendable, Codable {
        /// "source" (the copies of one source clip) or "registry" (every issued mark).
        public var kind: String
        public var size: Int
        public var sourceId: String?
        public var reason: String
    }

    public struct TraceWindow: Sendable, Codable {
        public var start: Double
        public var end: Double
        public var account: String?
        public var markId: String?
        public var falseAttributionProbability: Double?
        public var detected: Bool
        public var pValue: Double
        /// The window's sync correlation peak in standard deviations.
        public var syncScore: Double
        public var framesAnalyzed: Int
        public var note: String?
        /// Every account named in this window, strongest first.
        public var accounts: [String] = []
    }

    public struct Candidate: Sendable, Codable {
        public var markId: String
        public var account: String
        public var falseAttributionProbability: Double
    }

    public struct Tool: Sendable, Codable {
        public var name: String
        public var version: String
        public var command: String
        public var ffmpeg: String
    }

    /// Content Credentials: the C2PA manifest found in the file (or recovered from the registry).
    public struct Manifest: Sendable, Codable {
        public var present: Bool
        /// `Trusted`, `Valid` or `Invalid` (as the reference SDK means them), nil when absent.
        public var validationState: String?
        /// Failure codes (C2PA status codes).
        public var statusCodes: [String]
        public var successCodes: [String]?
        public var activeManifest: String?
        public var assertions: [String]
        public var signer: String?
        public var signedAt: String?
        /// True when the file's own manifest was stripped and the registry's copy for the
        /// watermark's mark id was validated instead.
        public var recovered: Bool
        /// Whether the manifest's soft binding names the mark id the watermark carries (nil: not comparable).
        public var softBindingMatchesWatermark: Bool?
        public var source: String?
        public var error: String?
        /// Which trust anchors decided `Trusted`, in words.
        public var trustAnchors: String
    }

    public var file: String
    public var video: VideoInfo
    public var manifest: Manifest
    public var watermark: Watermark
    public var visibleWatermark: VisibleWatermark
    public var trace: Trace
    public var source: Source
    public var analysisSeconds: Double
    public var tool: Tool
}

extension VerificationReport {
    /// Pretty JSON (or one line with `compact`) with stable key order; nil values are written as null.
    public func json(compact: Bool = false) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(self)) ?? Data()
        return Self.writingNulls(String(decoding: data, as: UTF8.self), compact: compact)
    }

    /// JSONEncoder leaves out nil optionals; scripts are promised these keys, so add them as null.
    private static func writingNulls(_ json: String, compact: Bool) -> String {
        guard var object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else { return json }
        func ensure(_ section: String, _ keys: [String]) {
            var dictionary = object[section] as? [String: Any] ?? [:]
            for key in keys where dictionary[key] == nil { dictionary[key] = NSNull() }
            object[section] = dictionary
        }
        ensure("watermark", ["markId", "relativeScale", "rotationDegrees", "note"])
        ensure("trace", ["account", "clipLabel", "issuedAt", "markId", "falseAttributionProbability", "registryMarks", "note", "candidate", "candidateSet"])
        if var trace = object["trace"] as? [String: Any], let windows = trace["windows"] as? [[String: Any]] {
            trace["windows"] = windows.map { window -> [String: Any] in
                var window = window
                for key in ["account", "markId", "falseAttributionProbability", "note"] where window[key] == nil { window[key] = NSNull() }
                return window
            }
            object["trace"] = trace
        }
        ensure("visibleWatermark", ["text", "note"])
        ensure("source", ["nearMiss", "note"])
        ensure("manifest", ["validationState", "activeManifest", "signer", "signedAt", "softBindingMatchesWatermark", "source", "error"])
        let options: JSONSerialization.WritingOptions = compact ? [.sortedKeys, .withoutEscapingSlashes] : [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: options) else { return json }
        return String(decoding: data, as: UTF8.self)
    }

    /// The attribution part alone, as one JSON object: file, watermark verdict, trace.
    public func traceJSON(compact: Bool = false) -> String {
        guard let full = try? JSONSerialization.jsonObject(with: Data(json(compact: true).utf8)) as? [String: Any] else { return "{}" }
        var object: [String: Any] = ["file": file, "trace": full["trace"] ?? NSNull()]
        if let watermark = full["watermark"] as? [String: Any] {
            object["watermark"] = watermark.filter { ["detected", "markId", "pValue", "framesAnalyzed"].contains($0.key) }
        }
        let options: JSONSerialization.WritingOptions = compact ? [.sortedKeys, .withoutEscapingSlashes] : [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return (try? JSONSerialization.data(withJSONObject: object, options: options)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    /// One line for a batch scan.
    public func summaryLine() -> String {
        let verdict = !watermark.checked ? "watermark not checked (no key)" : watermark.detected ? "mark \(watermark.markId ?? "unreadable")" : "no watermark"
        let who = trace.account.map { "account \($0) (p \(Self.probability(trace.falseAttributionProbability ?? 1, log10: log10(max(trace.falseAttributionProbability ?? 1, 1e-300)))))" }
            ?? (trace.accounts.count > 1 ? "accounts \(trace.accounts.joined(separator: ", "))" : "not attributed")
        let credentials = manifest.present ? "C2PA \(manifest.validationState ?? "?")" : "no C2PA"
        return "\(file): \(verdict); \(who); \(credentials)"
    }

    /// The attribution lines of `text()`.
    public func traceText() -> String {
        text().split(separator: "\n", omittingEmptySubsequences: false)
            .filter { $0.hasPrefix("file:") || $0.hasPrefix("invisible watermark:") || $0.hasPrefix("trace:") || $0.hasPrefix("  false-attribution") || $0.hasPrefix("  account ") || $0.hasPrefix("  best candidate") || $0.hasPrefix("  candidates:") || $0.hasPrefix("per window:") || $0.hasPrefix("   ") }
            .joined(separator: "\n") + "\n"
    }

    /// A few lines for people.
    public func text() -> String {
        var lines: [String] = []
        lines.append("file: \(file)")
        lines.append(String(format: "video: %dx%d, %.2f fps, %.1f s, %@", video.width, video.height, video.frameRate, video.duration, video.codec))
        if !video.complete { lines.append("  warning: the file is incomplete (\(video.incompleteness ?? "it ends early")): only what is there was analysed") }
        if !watermark.checked {
            lines.append("invisible watermark: \(watermark.note ?? "not checked")")
        } else if watermark.detected {
            lines.append("invisible watermark: DETECTED, mark id \(watermark.markId ?? "unreadable")")
        } else {
            lines.append("invisible watermark: not detected")
        }
        if watermark.checked {
            lines.append(String(format: "  false-positive probability: %@ (threshold %@), %d %@ analysed, sync score %.1f",
                                Self.probability(watermark.pValue, log10: watermark.log10PValue), Self.probability(watermark.threshold, log10: log10(watermark.threshold)),
                                watermark.framesAnalyzed, watermark.referenceFramesOnly == true ? "reference frames" : "frames", watermark.syncScore))
            if let scale = watermark.relativeScale, let rotation = watermark.rotationDegrees, watermark.detected {
                lines.append(String(format: "  geometry: scale %.3f, rotation %.1f deg", scale, rotation))
            }
            if let note = watermark.note { lines.append("  note: \(note)") }
        }
        if visibleWatermark.detected {
            let corners = Set(visibleWatermark.positions.map(\.corner)).sorted().joined(separator: ", ")
            lines.append("visible watermark: present (\(corners))")
        } else {
            lines.append("visible watermark: not found" + (visibleWatermark.note.map { " (\($0))" } ?? ""))
        }
        if manifest.present {
            lines.append("content credentials: \(manifest.validationState ?? "unknown")" + (manifest.recovered ? " (recovered from the registry: the file's own manifest was stripped)" : "")
                         + (manifest.signer.map { ", signed by \($0)" } ?? ""))
            if !manifest.statusCodes.isEmpty { lines.append("  failures: \(manifest.statusCodes.joined(separator: ", "))") }
            lines.append("  trust anchors: \(manifest.trustAnchors)")
            if manifest.softBindingMatchesWatermark == false { lines.append("  warning: the manifest's soft binding names a different mark id than the watermark carries") }
        } else {
            lines.append("content credentials: none" + (manifest.error.map { " (\($0))" } ?? ""))
        }
        if let account = trace.account {
            lines.append("trace: account \(account)" + (trace.clipLabel.map { ", clip \"\($0)\"" } ?? "") + (trace.issuedAt.map { ", issued \($0)" } ?? ""))
            if let named = trace.accused.first {
                lines.append("  false-attribution probability: \(Self.accusationProbability(named)) (\(named.evidence), score \(String(format: "%.1f", named.score)))")
            }
        } else if trace.accused.count > 1 {
            lines.append("trace: at least these \(trace.accused.count) accounts contributed" + (trace.note.map { " (\($0))" } ?? ""))
            for named in trace.accused {
                let ranges = named.windows.map { String(format: "%.0f-%.0f s", $0[0], $0[1]) }.joined(separator: ", ")
                lines.append("  account \(named.account): false-accusation probability \(Self.accusationProbability(named)) (\(named.evidence), score \(String(format: "%.1f", named.score)); \(ranges))")
            }
        } else {
            lines.append("trace: not attributed" + (trace.note.map { " (\($0))" } ?? ""))
            if let candidate = trace.candidate {
                lines.append("  best candidate (NOT an attribution): account \(candidate.account), mark \(candidate.markId), false-attribution probability \(Self.probability(candidate.falseAttributionProbability, log10: log10(max(candidate.falseAttributionProbability, 1e-300))))")
            }
        }
        if let set = trace.candidateSet {
            lines.append("  candidates: \(set.size) issued mark(s), \(set.kind == "source" ? "the copies of the clip's source" : "the whole registry") (\(set.reason))")
        }
        lines.append(contentsOf: source.textLines())
        if trace.windows.count > 1 {
            lines.append("per window:")
            for window in trace.windows {
                let who = window.accounts.count > 1 ? "accounts \(window.accounts.joined(separator: ", "))"
                    : window.account.map { "account \($0) (mark \(window.markId ?? "?"), p \(Self.probability(window.falseAttributionProbability ?? 1, log10: log10(max(window.falseAttributionProbability ?? 1, 1e-300)))))" } ?? "not attributed" + (window.note.map { " (\($0))" } ?? "")
                lines.append(String(format: "  %6.1f-%6.1f s  ", window.start, window.end) + who)
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A false-accusation probability as people should read it: below 1e-15 it is a model
    /// extrapolation, so it is shown as a bound.
    static func accusationProbability(_ named: Accused) -> String {
        named.probabilityIsBound ? "below 1e-15" : probability(named.falseAccusationProbability, log10: named.log10FalseAccusationProbability)
    }

    /// A probability for people: below 1e-15 the Gaussian-tail model was not measured, so the
    /// text says "below 1e-15" (JSON keeps the model's number for ranking).
    public static func probability(_ p: Double, log10 l: Double) -> String {
        if p < 1e-15 || l < -15 { return "below 1e-15" }
        if p >= 0.001 { return String(format: "%.3f", p) }
        return String(format: "%.1e", p)
    }
}
