import Foundation
import Testing
@testable import Hallmark
import HallmarkMedia

/// A subset of the attack matrix, made by a third party's tool (the ffmpeg CLI), asserting the exact id.
@Suite(.serialized, .enabled(if: TestSupport.hasFFmpegCLI, "needs the ffmpeg CLI to make attacked copies"), .tags(.media))
struct AttackTests {
    static let attacks: [(String, [String])] = [
        ("h264 crf 30", ["-c:v", "libx264", "-crf", "30", "-preset", "veryfast"]),
        ("resize 0.71", ["-vf", "scale=trunc(iw*0.71/2)*2:trunc(ih*0.71/2)*2", "-c:v", "libx264", "-crf", "23", "-preset", "veryfast"]),
        ("crop 0.71 off-centre", ["-vf", "crop=trunc(iw*0.71/2)*2:trunc(ih*0.71/2)*2:iw*0.25:ih*0.02", "-c:v", "libx264", "-crf", "23", "-preset", "veryfast"]),
        ("horizontal flip", ["-vf", "hflip", "-c:v", "libx264", "-crf", "23", "-preset", "veryfast"]),
        ("rotate 10 deg", ["-vf", "rotate=10*PI/180", "-c:v", "libx264", "-crf", "23", "-preset", "veryfast"]),
        ("brightness x0.5", ["-vf", "lutyuv=y=val*0.5", "-c:v", "libx264", "-crf", "23", "-preset", "veryfast"]),
        ("h265 crf 30", ["-c:v", "libx265", "-crf", "30", "-preset", "ultrafast", "-x265-params", "log-level=none"]),
    ]

    /// On the project's own 720p fixture, so it runs from a fresh clone. (H.265 CRF 30 is left to the
    /// natural clip below: this synthetic pattern is mostly flat, where the SSIM mask embeds little.)
    @Test(arguments: attacks.map(\.0).filter { !$0.hasPrefix("h265") })
    func fixtureSurvives(attack: String) async throws {
        try await survives(attack: attack, source: TestSupport.fixture("testsrc-720p.mp4"))
    }

    /// On the real AI clip (3 s excerpt), when ../shared is present.
    @Test(.enabled(if: TestSupport.hasSharedClip, "../shared/media/ai-clip-1080p.mp4 is absent"), arguments: attacks.map(\.0))
    func aiClipSurvives(attack: String) async throws {
        let workspace = try TestSupport.Workspace()
        let excerpt = workspace.directory.appendingPathComponent("excerpt.mp4")
        try TestSupport.ffmpeg(["-ss", "2", "-t", "3", "-i", TestSupport.aiClip.path, "-c:v", "libx264", "-crf", "12", "-preset", "veryfast", "-an", excerpt.path])
        try await survives(attack: attack, source: excerpt)
    }

    func survives(attack: String, source: URL) async throws {
        let arguments = Self.attacks.first { $0.0 == attack }!.1
        let workspace = try TestSupport.Workspace()
        let stamped = try workspace.stamp(source)
        let attacked = workspace.directory.appendingPathComponent("attacked.mp4")
        #expect(try TestSupport.ffmpeg(["-i", stamped.output.path] + arguments + ["-an", attacked.path]) == 0)
        let report = try await workspace.verifier().verify(attacked)
        #expect(report.watermark.markId == stamped.markIdHex, "\(attack): detected=\(report.watermark.detected) p=\(report.watermark.pValue)")
    }
}
