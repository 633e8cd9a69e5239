import Foundation
import Testing
@testable import Hallmark
import HallmarkMedia
import HallmarkSignal

/// A long clip's windows keep only their folded tiles (`ClipDecoding`): the verdicts must be the
/// ones the whole pictures give. The budgets are set to nothing here so that a 3 s clip folds
/// from its first window on.
@Suite(.serialized, .tags(.media))
struct WindowFoldingTests {
    /// A splice of two accounts' copies (alice's first 1.5 s, then bob's), shared by the tests.
    static let splice: (workspace: TestSupport.Workspace, clip: URL, marks: [String])? = {
        guard TestSupport.hasFFmpegCLI, let workspace = try? TestSupport.Workspace(),
              let a = try? workspace.stamp(TestSupport.fixture("testsrc-720p.mp4"), account: "alice", name: "a.mp4"),
              let b = try? workspace.stamp(TestSupport.fixture("testsrc-720p.mp4"), account: "bob", name: "b.mp4") else { return nil }
        let spliced = workspace.directory.appendingPathComponent("spliced.mp4")
        guard (try? TestSupport.ffmpeg(["-i", a.output.path, "-i", b.output.path, "-filter_complex",
                                         "[0:v]trim=0:1.5,setpts=PTS-STARTPTS[x];[1:v]trim=1.5:3,setpts=PTS-STARTPTS[y];[x][y]concat=n=2:v=1[v]",
                                         "-map", "[v]", "-c:v", "libx264", "-crf", "23", "-preset", "veryfast", spliced.path])) == 0
        else { return nil }
        return (workspace, spliced, [a.markIdHex, b.markIdHex])
    }()

    static func folding(from start: Bool) -> VerifyOptions {
        var options = VerifyOptions()
        if start { options.pictureWindowBudget = 0 }
        return options
    }

    @Test func foldedWindowsGiveThePicturesVerdicts() async throws {
        let splice = try #require(Self.splice, "needs the ffmpeg CLI to splice")
        let pictures = try await Verifier(home: splice.workspace.home, options: Self.folding(from: false)).verify(splice.clip)
        let folded = try await Verifier(home: splice.workspace.home, options: Self.folding(from: true)).verify(splice.clip)
        #expect(Set(pictures.trace.accounts) == ["alice", "bob"])
        #expect(Set(folded.trace.accounts) == ["alice", "bob"])
        #expect(folded.watermark.detected == pictures.watermark.detected)
        #expect(folded.watermark.markId == pictures.watermark.markId)
        #expect(folded.trace.windows.count == pictures.trace.windows.count)
        for (f, p) in zip(folded.trace.windows, pictures.trace.windows) {
            #expect(f.start == p.start && f.end == p.end)
            #expect(f.account == p.account && f.markId == p.markId && f.detected == p.detected)
            #expect(f.framesAnalyzed == p.framesAnalyzed)
            // The same tile read at the same geometry: the same score.
            #expect(abs(f.syncScore - p.syncScore) < 1e-3, "window at \(f.start) s: \(f.syncScore) vs \(p.syncScore)")
        }
        #expect(folded.trace.windows.first?.markId == splice.marks[0])
        #expect(folded.trace.windows.last?.markId == splice.marks[1])
    }

    /// Windows folded at tilings the whole clip did not choose cannot be read; folded again at the
    /// chosen one (what the verifier's second decode does) they read as their pictures do.
    @Test func windowsFoldedAtAnotherTilingAreFoldedAgain() async throws {
        let splice = try #require(Self.splice, "needs the ffmpeg CLI to splice")
        let key = try WatermarkKeyStore.load(from: splice.workspace.home.watermarkKeyURL)
        let detector = WatermarkDetector(key: key)
        func decode(_ configure: (inout ClipDecoding) -> Void) throws -> DecodedClip {
            var decoding = ClipDecoding(options: Self.folding(from: true))
            configure(&decoding)
            return try decoding.run(try FrameReader(url: splice.clip), url: splice.clip, progress: nil, cancellation: nil)
        }
        let pinTilings: @Sendable (AccumulatedFrames) -> [Lattice] = { frames in Array(detector.detect(frames).tilings.prefix(Verifier.pinnedTilingCount)) }
        let pictures = try decode { $0.options = Self.folding(from: false); $0.pinTilings = pinTilings }
        #expect(pictures.pinnedTilings == nil)
        let whole = detector.detect(pictures.whole)
        let guide = try #require(whole.choice)
        let expected = try #require(await Verifier.detectWindows(pictures.windows, detector: detector, guide: guide))

        let elsewhere = try decode { $0.pinTilings = { _ in [Lattice.nominal(period: 61.3)] } }
        #expect(elsewhere.pinnedTilings == [Lattice.nominal(period: 61.3)])
        #expect(await Verifier.detectWindows(elsewhere.windows, detector: detector, guide: guide) == nil)

        let again = try decode { $0.pinned = [guide.lattice] }
        let windows = try #require(await Verifier.detectWindows(again.windows, detector: detector, guide: guide))
        #expect(windows.map(\.markId) == expected.map(\.markId))
        #expect(windows.map(\.framesAnalyzed) == expected.map(\.framesAnalyzed))
        for (w, e) in zip(windows, expected) { #expect(abs(w.syncZ - e.syncZ) < 1e-3 && abs(w.log10PValue - e.log10PValue) < 1e-3) }
        // The whole clip is every frame, however the windows were kept.
        #expect(again.whole.frameCount == pictures.whole.frameCount)
        #expect(zip(again.whole.mean, pictures.whole.mean).allSatisfy { abs($0 - $1) < 1e-4 })
    }

    /// Past the windows' budget they merge into longer ones: every frame still counted once.
    @Test func foldedWindowsMergeWithinTheirBudget() async throws {
        let splice = try #require(Self.splice, "needs the ffmpeg CLI to splice")
        var options = Self.folding(from: true)
        options.windowMemoryBudget = 1
        let key = try WatermarkKeyStore.load(from: splice.workspace.home.watermarkKeyURL)
        let detector = WatermarkDetector(key: key)
        var decoding = ClipDecoding(options: options)
        decoding.pinTilings = { frames in Array(detector.detect(frames).tilings.prefix(Verifier.pinnedTilingCount)) }
        let clip = try decoding.run(try FrameReader(url: splice.clip), url: splice.clip, progress: nil, cancellation: nil)
        #expect(clip.windows.count < 3, "windows: \(clip.windows.map { [$0.start, $0.end] })")
        #expect(clip.windows.reduce(0) { $0 + $1.frames.frameCount } == clip.whole.frameCount)
        let report = try await Verifier(home: splice.workspace.home, options: options).verify(splice.clip)
        #expect(report.watermark.detected)
        // One window over both halves: the mix is named as such, nobody outside it.
        #expect(!report.trace.accounts.isEmpty && Set(report.trace.accounts).isSubset(of: ["alice", "bob"]), "\(report.trace.accounts)")
    }
}
