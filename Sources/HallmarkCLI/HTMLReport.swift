import Foundation
import Hallmark

/// A self-contained HTML page of a verification report (no scripts, no network).
enum HTMLReport {
    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    static func render(_ report: VerificationReport) -> String {
        let verdict: String
        if let account = report.trace.account {
            verdict = "This video carries Hallmark mark \(report.watermark.markId ?? "") and was issued to account \(account)."
        } else if report.watermark.detected {
            verdict = "This video carries a Hallmark watermark" + (report.watermark.markId.map { " (mark \($0))" } ?? "") + ", not attributed to an account."
        } else {
            verdict = "No Hallmark watermark was found in this video."
        }
        let rows: [(String, String)] = [
            ("File", report.file),
            ("Video", String(format: "%dx%d, %.2f fps, %.1f s, %@", report.video.width, report.video.height, report.video.frameRate, report.video.duration, report.video.codec)),
            ("Invisible watermark", report.watermark.detected ? "detected" : "not detected"),
            ("Mark id", report.watermark.markId ?? "—"),
            ("False-positive probability", VerificationReport.probability(report.watermark.pValue, log10: report.watermark.log10PValue)),
            ("Frames analysed", "\(report.watermark.framesAnalyzed)"),
            ("Visible watermark", report.visibleWatermark.detected ? "present: " + report.visibleWatermark.positions.map { "\($0.corner) \(String(format: "%.0f–%.0f s", $0.start, $0.end))" }.joined(separator: ", ") : "not found"),
            ("Account", report.trace.account ?? "not attributed"),
            ("False-attribution probability", report.trace.falseAttributionProbability.map { VerificationReport.probability($0, log10: log10(max($0, 1e-300))) } ?? "—"),
            ("Produced by", "\(report.tool.name) \(report.tool.version), \(report.tool.ffmpeg): \(report.tool.command)"),
        ]
        let table = rows.map { "<tr><th>\(escape($0.0))</th><td>\(escape($0.1))</td></tr>" }.joined(separator: "\n")
        let notes = [report.watermark.note, report.trace.note].compactMap { $0 }.map { "<p class=note>\(escape($0))</p>" }.joined()
        return """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>Hallmark report</title>
            <style>body{font-family:sans-serif;max-width:60em;margin:2em auto;color:#222}
            h1{font-size:1.4em}.verdict{font-size:1.2em;padding:.8em;border-radius:6px;background:\(report.watermark.detected ? "#e6f4ea" : "#f1f3f4")}
            table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.4em;border-bottom:1px solid #ddd;vertical-align:top}
            th{width:16em}.note{color:#a15c00}</style></head>
            <body><h1>Hallmark verification report</h1>
            <p class="verdict">\(escape(verdict))</p>\(notes)
            <table>\(table)</table>
            </body></html>

            """
    }
}
