import Foundation

/// The investigator's report: one self-contained HTML file (inline SVG and PNG, no scripts, no
/// network) with the verdict in plain words first, then the evidence.
public enum HTMLReport {
    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    static func p(_ value: Double?) -> String {
        guard let value else { return "—" }
        return VerificationReport.probability(value, log10: log10(max(value, 1e-300)))
    }

    /// The verdict in one or two sentences a non-specialist can read.
    static func verdict(_ r: VerificationReport) -> String {
        if r.trace.accounts.count > 1 {
            let mixed = r.trace.note?.contains("mixes") == true
            return mixed
                ? "This video mixes copies issued to \(r.trace.accounts.count) accounts (averaged or interleaved): at least \(r.trace.accounts.joined(separator: ", ")) contributed. Each account's evidence and chance of coincidence are listed below."
                : "This video is spliced from copies issued to \(r.trace.accounts.count) accounts: \(r.trace.accounts.joined(separator: ", ")). See the timeline below for which part came from whom."
        }
        if let account = r.trace.account {
            return "This video carries Hallmark mark \(r.trace.markId ?? r.watermark.markId ?? "") and was issued to account \(account). The chance that this attribution is a coincidence is \(p(r.trace.falseAttributionProbability))."
        }
        if !r.watermark.checked {
            return "The invisible watermark was not checked: this verifier holds no watermark key. Content Credentials and the visible mark were checked (below)."
        }
        if r.watermark.detected {
            return "This video carries a Hallmark watermark" + (r.watermark.markId.map { " (mark \($0))" } ?? "") + ", but it is not attributed to an account: \(r.trace.note ?? "see below")."
        }
        return "No Hallmark watermark was found in this video." + (r.watermark.note.map { " (\($0))" } ?? "")
    }

    /// Per-window sync score over time, with the detection threshold, as an inline SVG.
    static func scorePlot(_ r: VerificationReport) -> String {
        let windows = r.trace.windows
        guard !windows.isEmpty else { return "<p>No time windows were analysed.</p>" }
        let width = 760.0, height = 220.0, left = 50.0, bottom = 30.0, top = 10.0
        let duration = max(windows.map(\.end).max() ?? 1, 0.1)
        let maxScore = max(8, (windows.map(\.syncScore).max() ?? 0) * 1.1)
        func x(_ t: Double) -> Double { left + (width - left - 10) * t / duration }
        func y(_ s: Double) -> Double { top + (height - top - bottom) * (1 - max(0, s) / maxScore) }
        var bars = ""
        for w in windows {
            let colour = w.account != nil ? "#1e8e3e" : (w.detected ? "#f29900" : "#9aa0a6")
            bars += "<rect x=\"\(x(w.start))\" y=\"\(y(w.syncScore))\" width=\"\(max(1, x(w.end) - x(w.start) - 1))\" height=\"\(max(0, y(0) - y(w.syncScore)))\" fill=\"\(colour)\"><title>\(String(format: "%.1f–%.1f s: score %.1f, p %@", w.start, w.end, w.syncScore, p(w.pValue)))</title></rect>"
        }
        var ticks = ""
        let step = duration > 20 ? 5.0 : 1.0
        var t = 0.0
        while t <= duration + 1e-9 {
            ticks += "<text x=\"\(x(t))\" y=\"\(height - 10)\" font-size=\"10\" text-anchor=\"middle\">\(Int(t))s</text>"
            t += step
        }
        // The score a window needs for p = threshold, roughly (Gaussian tail; shown as a guide).
        let guide = 6.0
        return """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" role="img" aria-label="detection score per time window">
            <rect x="0" y="0" width="\(Int(width))" height="\(Int(height))" fill="#fff"/>
            <line x1="\(left)" y1="\(y(0))" x2="\(width - 10)" y2="\(y(0))" stroke="#555"/>
            <line x1="\(left)" y1="\(top)" x2="\(left)" y2="\(y(0))" stroke="#555"/>
            \(bars)
            <line x1="\(left)" y1="\(y(guide))" x2="\(width - 10)" y2="\(y(guide))" stroke="#d93025" stroke-dasharray="4 3"/>
            <text x="\(width - 12)" y="\(y(guide) - 4)" font-size="10" text-anchor="end" fill="#d93025">about p = 1e-9</text>
            <text x="12" y="\(top + 10)" font-size="10">score</text>
            <text x="\(left)" y="\(top + 10)" font-size="10" dx="4">\(Int(maxScore))</text>
            \(ticks)
            </svg>
            """
    }

    /// One colour per account named, in the order named.
    static func colours(_ r: VerificationReport) -> [String: String] {
        let palette = ["#1a73e8", "#e37400", "#9334e6", "#188038", "#d01884", "#007b83"]
        var colours: [String: String] = [:]
        for (i, account) in r.trace.accounts.enumerated() { colours[account] = palette[i % palette.count] }
        return colours
    }

    /// Who each stretch of time is attributed to, as a coloured bar (stripes where several
    /// accounts' copies were mixed).
    static func timeline(_ r: VerificationReport) -> String {
        let windows = r.trace.windows
        guard let end = windows.map(\.end).max(), end > 0 else { return "" }
        let colours = colours(r)
        var segments = ""
        for w in windows {
            let present = w.accounts.compactMap { colours[$0] }
            let colour = present.count > 1
                ? "repeating-linear-gradient(135deg," + present.enumerated().map { "\($1) \($0 * 8)px \(($0 + 1) * 8)px" }.joined(separator: ",") + ")"
                : w.account.flatMap { colours[$0] } ?? "#dadce0"
            let left = 100 * w.start / end, width = max(0.5, 100 * (w.end - w.start) / end)
            segments += "<div class=\"seg\" style=\"left:\(String(format: "%.2f", left))%;width:\(String(format: "%.2f", width))%;background:\(colour)\" title=\"\(escape(String(format: "%.1f–%.1f s: ", w.start, w.end) + (w.account ?? "not attributed")))\"></div>"
        }
        let legend = r.trace.accounts.map { "<span class=\"key\" style=\"background:\(colours[$0]!)\"></span>\(escape($0))" }.joined(separator: " &nbsp; ")
            + " &nbsp; <span class=\"key\" style=\"background:#dadce0\"></span>not attributed"
        let rows = windows.map { w in
            "<tr><td>\(String(format: "%.1f–%.1f s", w.start, w.end))</td><td>\(escape(w.account ?? "—"))</td><td>\(escape(w.markId ?? "—"))</td><td>\(p(w.falseAttributionProbability))</td><td>\(escape(w.note ?? ""))</td></tr>"
        }.joined()
        return """
            <div class="timeline">\(segments)</div><p class="legend">\(legend)</p>
            <details><summary>Windows</summary><table><tr><th>time</th><th>account</th><th>mark</th><th>false attribution</th><th></th></tr>\(rows)</table></details>
            """
    }

    /// Every account named, strongest first: its evidence, probability, and a strip of the
    /// windows it was found in (a mix shows several accounts over the same stretch).
    static func accusedTable(_ r: VerificationReport) -> String {
        guard !r.trace.accused.isEmpty else { return "<p>No account is named.</p>" }
        let end = max(r.trace.windows.map(\.end).max() ?? 0, r.trace.accused.flatMap { $0.windows.map { $0.last ?? 0 } }.max() ?? 0, 0.1)
        let colours = colours(r)
        let rows = r.trace.accused.map { accused in
            let colour = colours[accused.account] ?? "#1a73e8"
            let strip = accused.windows.map { range in
                let start = range.first ?? 0, stop = range.last ?? start
                return "<div class=\"seg\" style=\"left:\(String(format: "%.2f", 100 * start / end))%;width:\(String(format: "%.2f", max(0.5, 100 * (stop - start) / end)))%;background:\(colour)\"></div>"
            }.joined()
            let spans = accused.windows.map { String(format: "%.1f–%.1f s", $0.first ?? 0, $0.last ?? 0) }.joined(separator: ", ")
            return "<tr><td>\(escape(accused.account))</td><td><code>\(escape(accused.markId))</code></td><td>\(escape(accused.evidence))</td>"
                + "<td>\(accused.probabilityIsBound ? "below 1e-15" : p(accused.falseAccusationProbability))</td>"
                + "<td><div class=\"timeline strip\" title=\"\(escape(spans))\">\(strip)</div></td></tr>"
        }.joined()
        let set = r.trace.candidateSet.map { "<p class=\"legend\">Scored against \($0.size) issued mark(s) (\(escape($0.kind)): \(escape($0.reason))); each probability counts every candidate, window and tiling tested.</p>" } ?? ""
        return """
            <table class="accused"><tr><th>account</th><th>mark</th><th>evidence</th><th>false accusation</th><th>where in the clip</th></tr>\(rows)</table>\(set)
            """
    }

    /// The reverse-search matches, and the best one's frames beside the suspect's in aligned time.
    static func sourceHTML(_ source: VerificationReport.Source, frames: [VerificationDetails.FramePair]) -> String {
        func probability(_ m: VerificationReport.Source.Match) -> String { escape(VerificationReport.Source.text(m)) }
        var html = ""
        if source.matches.isEmpty {
            html += "<p>No match among \(source.indexSize) fingerprinted source clip(s).\(source.note.map { " " + escape($0) } ?? "")</p>"
        } else {
            html += "<table class=\"accused\"><tr><th>Source</th><th>Accounts</th><th>Offset</th><th>Matched</th><th>Similarity</th><th>False-match probability</th></tr>"
            for m in source.matches {
                html += "<tr><td>\(escape(String(m.sourceId.prefix(16))))\(m.clipLabel.map { " “" + escape($0) + "”" } ?? "")</td><td>\(escape(m.accounts.joined(separator: ", ")))</td>"
                    + String(format: "<td>%.2f s</td><td>%.1f s</td><td>%.3f</td>", m.offsetSeconds, m.durationMatched, m.similarity)
                    + "<td>\(probability(m))\(m.mirrored ? " (mirrored)" : "")\(m.crop < 1 ? String(format: " (cropped to %.2f)", m.crop) : "")\(m.aboveCaptions ? " (above the caption band)" : "")</td></tr>"
            }
            html += "</table>"
        }
        if let miss = source.nearMiss {
            html += "<p class=\"note\">Best near-miss, <b>not</b> a match: \(escape(String(miss.sourceId.prefix(16)))), similarity \(String(format: "%.3f", miss.similarity)), false-match probability \(probability(miss)).</p>"
        }
        if !frames.isEmpty {
            html += "<p>Suspect (left) and matched source (right) at the aligned times:</p>"
            for pair in frames {
                func img(_ t: VerificationDetails.Thumbnail, _ label: String) -> String {
                    "<figure><img alt=\"\(label)\" width=\"\(t.width * 2)\" height=\"\(t.height * 2)\" style=\"image-rendering:pixelated\" src=\"data:image/png;base64,\(t.png.base64EncodedString())\"><figcaption>\(label)</figcaption></figure>"
                }
                html += "<div>" + img(pair.suspect, String(format: "suspect %.1f s", pair.suspectTime)) + img(pair.source, String(format: "source %.1f s", pair.sourceTime)) + "</div>"
            }
        }
        return html
    }

    public static func render(_ details: VerificationDetails) -> String {
        let r = details.report
        let facts: [(String, String)] = [
            ("File", r.file),
            ("Video", String(format: "%dx%d, %.2f fps, %.1f s, %@, %d audio stream(s)", r.video.width, r.video.height, r.video.frameRate, r.video.duration, r.video.codec, r.video.audioStreams)),
            ("Invisible watermark", !r.watermark.checked ? (r.watermark.note ?? "not checked")
                : (r.watermark.detected ? "detected" : "not detected") + (r.watermark.markId.map { ", mark \($0)" } ?? "")),
            ("False-positive probability", !r.watermark.checked ? "—"
                : "\(p(r.watermark.pValue)) (threshold \(p(r.watermark.threshold)); \(String(format: "%.0f", r.watermark.hypothesesSearched)) hypotheses searched)"),
            ("Frames analysed", "\(r.watermark.framesAnalyzed)" + (r.watermark.referenceFramesOnly == true ? " (reference frames only: they settled the verdict)" : "")),
            ("Geometry", r.watermark.detected ? String(format: "scale %.3f, rotation %.1f°", r.watermark.relativeScale ?? 1, r.watermark.rotationDegrees ?? 0) : "—"),
            ("Account", r.trace.account ?? (r.trace.accounts.count > 1 ? "\(r.trace.accounts.joined(separator: ", ")) (at least these contributed)" : "not attributed")),
            ("False-attribution probability", p(r.trace.falseAttributionProbability)),
            ("Issued", r.trace.issuedAt.map { "\($0)" + (r.trace.clipLabel.map { ", clip “\($0)”" } ?? "") } ?? "—"),
            ("Registry", r.trace.registryMarks.map { "\($0) marks" } ?? "none"),
        ]
        let factRows = facts.map { "<tr><th>\(escape($0.0))</th><td>\(escape($0.1))</td></tr>" }.joined(separator: "\n")
        let candidate = r.trace.candidate.map { "<p class=\"note\">Best candidate, <b>not</b> an attribution: account \(escape($0.account)), mark \($0.markId), false-attribution probability \(p($0.falseAttributionProbability)).</p>" } ?? ""
        let visible: String = r.visibleWatermark.detected
            ? "<ul>" + r.visibleWatermark.positions.map { "<li>\(escape($0.corner)) at (\($0.x), \($0.y)) from \(String(format: "%.1f", $0.start)) s to \(String(format: "%.1f", $0.end)) s (match \(String(format: "%.2f", $0.score)))</li>" }.joined() + "</ul>"
            : "<p>Not found. \(escape(r.visibleWatermark.note ?? ""))</p>"
        let manifest: String
        if r.manifest.present {
            let codes = r.manifest.statusCodes.isEmpty ? "none" : r.manifest.statusCodes.joined(separator: ", ")
            manifest = """
                <table><tr><th>State</th><td><b>\(escape(r.manifest.validationState ?? "?"))</b>\(r.manifest.recovered ? " — recovered from the registry: the file's own manifest was stripped" : "")</td></tr>
                <tr><th>Signer</th><td>\(escape(r.manifest.signer ?? "—"))</td></tr>
                <tr><th>Signed at</th><td>\(escape(r.manifest.signedAt ?? "no time-stamp"))</td></tr>
                <tr><th>Failure codes</th><td>\(escape(codes))</td></tr>
                <tr><th>Success codes</th><td>\(escape((r.manifest.successCodes ?? []).joined(separator: ", ")))</td></tr>
                <tr><th>Assertions</th><td>\(escape(r.manifest.assertions.joined(separator: ", ")))</td></tr>
                <tr><th>Soft binding</th><td>\(r.manifest.softBindingMatchesWatermark.map { $0 ? "names the watermark's mark id" : "names a DIFFERENT mark id than the watermark" } ?? "—")</td></tr></table>
                """
        } else {
            manifest = "<p>No C2PA manifest" + (r.manifest.error.map { " (\(escape($0)))" } ?? "") + ".</p>"
        }
        let thumbnails = details.thumbnails.map {
            "<figure><img alt=\"frame at \(String(format: "%.1f", $0.time)) s\" width=\"\($0.width)\" height=\"\($0.height)\" src=\"data:image/png;base64,\($0.png.base64EncodedString())\"><figcaption>\(String(format: "%.1f", $0.time)) s</figcaption></figure>"
        }.joined()
        let sourceSection = sourceHTML(r.source, frames: details.sourceFrames)
        let colour = r.trace.account != nil || r.trace.accounts.count > 1 ? "#e6f4ea" : (r.watermark.detected ? "#fef7e0" : "#f1f3f4")
        return """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>Hallmark report — \(escape(URL(fileURLWithPath: r.file).lastPathComponent))</title>
            <style>
            body{font-family:system-ui,sans-serif;max-width:62em;margin:1.5em auto;color:#202124;padding:0 1em}
            h1{font-size:1.4em}h2{font-size:1.1em;margin-top:1.6em;border-bottom:1px solid #dadce0}
            .verdict{font-size:1.15em;padding:.9em 1em;border-radius:8px;background:\(colour)}
            table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.35em .5em;border-bottom:1px solid #eee;vertical-align:top}
            th{width:15em;font-weight:600}.note{color:#a15c00}
            .timeline{position:relative;height:28px;background:#f1f3f4;border-radius:4px;overflow:hidden}
            .seg{position:absolute;top:0;bottom:0}.strip{height:14px;min-width:12em}table.accused th{width:auto}.key{display:inline-block;width:12px;height:12px;vertical-align:middle;margin-right:4px}
            figure{display:inline-block;margin:0 .6em .6em 0}figcaption{font-size:.8em;color:#5f6368}
            code{font-size:.85em;word-break:break-all}
            </style></head>
            <body>
            <h1>Hallmark verification report</h1>
            <p class="verdict">\(escape(verdict(r)))</p>
            \(candidate)
            <h2>Findings</h2><table>\(factRows)</table>
            <h2>Detection score over time</h2>\(scorePlot(r))
            <p class="legend">Bars: the watermark's sync correlation in each time window (green: attributed, orange: detected, grey: not enough signal).</p>
            <h2>Accounts named</h2>\(accusedTable(r))
            <h2>Attribution timeline</h2>\(timeline(r))
            <h2>Frames</h2>\(thumbnails.isEmpty ? "<p>No thumbnails.</p>" : thumbnails)
            <h2>Source (reverse search by content)</h2>\(sourceSection)
            <h2>Visible watermark</h2>\(visible)
            <h2>Content Credentials (C2PA)</h2>\(manifest)
            <h2>How this report was made</h2>
            <p><code>\(escape(r.tool.command.isEmpty ? "(library call)" : r.tool.command))</code></p>
            <p>\(escape(r.tool.name)) \(escape(r.tool.version)), \(escape(r.tool.ffmpeg)); analysis took \(String(format: "%.1f", r.analysisSeconds)) s.</p>
            </body></html>

            """
    }
}
