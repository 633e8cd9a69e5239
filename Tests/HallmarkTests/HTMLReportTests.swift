import Foundation
import Testing
@testable import Hallmark
import HallmarkMedia

/// The investigator's report renders in a real browser (headless Chromium), not only as text.
@Suite(.serialized, .tags(.media))
struct HTMLReportTests {
    static let chromium: String? = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }

    @Test func reportHasTheEvidence() async throws {
        let workspace = try TestSupport.Workspace()
        let stamped = try workspace.stamp(TestSupport.fixture("testsrc-720p.mp4"), account: "ivy",
                                          visible: VisibleMark(content: .text("Hallmark"), period: 1))
        let details = try await workspace.verifier().analyse(stamped.output)
        let html = HTMLReport.render(details)
        #expect(html.contains("issued to account ivy"))
        // The score plot has one bar per time window, each with its score in its tooltip.
        let windows = details.report.trace.windows
        #expect(windows.count >= 2)
        let plot = try #require(html.range(of: "aria-label=\"detection score per time window\"").map { html[$0.lowerBound...] })
        let svg = plot[..<(plot.range(of: "</svg>")?.lowerBound ?? plot.endIndex)]
        #expect(svg.components(separatedBy: "<rect x=").count - 1 == windows.count + 1, "one bar per window plus the background")
        for window in windows {
            #expect(svg.contains(String(format: "%.1f–%.1f s: score %.1f", window.start, window.end, window.syncScore)))
        }
        #expect(html.contains("data:image/png;base64,"))
        #expect(html.contains("Content Credentials"))
        #expect(!html.contains("http://") || html.contains("xmlns=\"http://www.w3.org/2000/svg\""), "no external resources")
        #expect(!html.contains("<script"))
    }

    @Test(.enabled(if: chromium != nil, "needs chromium (apt-get install chromium) to render the report"))
    func reportRendersInChromium() async throws {
        let workspace = try TestSupport.Workspace()
        let stamped = try workspace.stamp(TestSupport.fixture("motion-540p.mp4"), account: "jack")
        let html = workspace.directory.appendingPathComponent("report.html")
        try Data(HTMLReport.render(try await workspace.verifier().analyse(stamped.output)).utf8).write(to: html)
        let screenshot = workspace.directory.appendingPathComponent("report.png")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.chromium!)
        process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=1000,1600",
                             "--screenshot=\(screenshot.path)", html.absoluteString]
        process.standardError = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        #expect(FileManager.default.fileExists(atPath: screenshot.path))
        // The screenshot decodes and is not blank: the page really drew text, plot and thumbnails.
        let reader = try FrameReader(url: screenshot)
        let frame = try #require(try reader.next())
        #expect(frame.width == 1000)
        let (mean, variance) = frame.withLuma { base, stride -> (Double, Double) in
            var sum = 0.0, squares = 0.0
            for y in 0..<frame.height { for x in 0..<frame.width { let v = Double(base[y * stride + x]); sum += v; squares += v * v } }
            let n = Double(frame.width * frame.height)
            return (sum / n, squares / n - (sum / n) * (sum / n))
        }
        #expect(variance > 200, "screenshot looks blank (mean \(mean), variance \(variance))")
        #expect(mean > 150, "the page should be mostly light")
    }
}
