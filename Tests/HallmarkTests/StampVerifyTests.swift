import Foundation
import Testing
@testable import Hallmark
import HallmarkMedia
import HallmarkRegistry

/// Round trips through the real pipeline: stamp (decode, filters, watermark, x264) then verify.
@Suite(.serialized, .tags(.media))
struct StampVerifyTests {
    @Test(arguments: ["motion-540p.mp4", "testsrc-720p.mp4", "bars-720p.mp4", "odd-718x404.mp4"])
    func roundTripRecoversTheMarkId(fixture: String) async throws {
        let workspace = try TestSupport.Workspace()
        let result = try workspace.stamp(TestSupport.fixture(fixture))
        let report = try await workspace.verifier().verify(result.output)
        #expect(report.watermark.detected, "\(fixture): p=\(report.watermark.pValue)")
        #expect(report.watermark.markId == result.markIdHex)
        #expect(report.trace.account == "acct-1")
        #expect(report.trace.falseAttributionProbability != nil)
        #expect(report.watermark.pValue <= 1e-9)
    }

    @Test(arguments: ["motion-540p.mp4", "testsrc-720p.mp4", "bars-720p.mp4", "dark-540p.mp4", "odd-718x404.mp4"])
    func unmarkedClipsAreNeverDetected(fixture: String) async throws {
        let workspace = try TestSupport.Workspace()
        let report = try await workspace.verifier().verify(TestSupport.fixture(fixture))
        #expect(!report.watermark.detected, "\(fixture): p=\(report.watermark.pValue)")
        #expect(report.watermark.markId == nil)
        #expect(report.trace.account == nil)
    }

    /// Reference frames first (the default) and every frame reach the same verdict; a stamped
    /// clip is settled by its reference frames, an unmarked one gets every frame decoded.
    @Test(arguments: [("motion-540p.mp4", true), ("testsrc-720p.mp4", true), ("odd-718x404.mp4", false), ("dark-540p.mp4", false)])
    func referenceFramesGiveTheFullVerdict(fixture: String, stamped: Bool) async throws {
        let workspace = try TestSupport.Workspace()
        let clip = stamped ? try workspace.stamp(TestSupport.fixture(fixture)).output : TestSupport.fixture(fixture)
        var everyFrame = VerifyOptions()
        everyFrame.referenceFramesFirst = false
        let fast = try await workspace.verifier().verify(clip)
        let full = try await Verifier(home: workspace.home, options: everyFrame).verify(clip)
        #expect(fast.watermark.detected == full.watermark.detected, "\(fixture)")
        #expect(fast.watermark.markId == full.watermark.markId)
        #expect(fast.trace.account == full.trace.account)
        #expect(fast.watermark.detected == stamped)
        #expect(fast.watermark.referenceFramesOnly == stamped, "\(fixture)")
        #expect(full.watermark.referenceFramesOnly == false && full.watermark.looks == 1 && fast.watermark.looks == 2)
        if stamped {
            #expect(fast.watermark.framesAnalyzed < full.watermark.framesAnalyzed, "\(fast.watermark.framesAnalyzed) vs \(full.watermark.framesAnalyzed)")
        } else {
            #expect(fast.watermark.framesAnalyzed == full.watermark.framesAnalyzed)
        }
    }

    @Test func outputKeepsGeometryTimingAndAudio() throws {
        let workspace = try TestSupport.Workspace()
        let input = TestSupport.fixture("motion-540p.mp4")
        let result = try workspace.stamp(input)
        let before = try FrameReader(url: input).info, after = try FrameReader(url: result.output).info
        #expect(after.width == before.width && after.height == before.height)
        #expect(abs(after.frameRate - before.frameRate) < 0.01)
        #expect(abs(after.duration - before.duration) < 0.1)
        #expect(after.audioStreams == before.audioStreams && after.audioStreams == 1)
        // Top-level boxes: ftyp, the C2PA manifest (uuid), then moov before mdat (faststart).
        let bytes = try Data(contentsOf: result.output)
        var boxes: [String] = []
        var offset = 0
        while offset + 8 <= bytes.count, boxes.count < 16 {
            let size = bytes[offset..<offset + 4].reduce(0) { $0 << 8 | Int($1) }
            boxes.append(String(decoding: bytes[offset + 4..<offset + 8], as: UTF8.self))
            guard size >= 8 else { break }
            offset += size
        }
        #expect(Array(boxes.prefix(3)) == ["ftyp", "uuid", "moov"], "\(boxes)")
        #expect(boxes.contains("mdat"))
    }

    @Test func registryRecordsTheStamp() throws {
        let workspace = try TestSupport.Workspace()
        let result = try workspace.stamp(TestSupport.fixture("bars-720p.mp4"), account: "carol")
        let registry = try SQLiteRegistry(path: workspace.home.registryURL.path, create: false)
        let record = try #require(try registry.record(markId: result.markId))
        #expect(record.account == "carol")
        #expect(record.clipLabel == "clip")
        #expect(record.inputSHA256?.count == 64 && record.outputSHA256?.count == 64)
        #expect(record.inputSHA256 != record.outputSHA256)
    }

    @Test func watermarkKeyIsPrivate() throws {
        let workspace = try TestSupport.Workspace()
        let attributes = try FileManager.default.attributesOfItem(atPath: workspace.home.watermarkKeyURL.path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let key = try WatermarkKeyStore.load(from: workspace.home.watermarkKeyURL)
        // Printed or interpolated, the key shows nothing of itself (not a prefix of its hex digits:
        // "<redacted>" itself contains such short runs as "edac").
        let hex = key.bytes.map { String(format: "%02x", $0) }.joined()
        #expect("\(key)" == "WatermarkKey(<redacted>)")
        #expect(String(reflecting: key).range(of: hex.prefix(16)) == nil)
    }

    @Test func visibleMarkIsDrawnAndFound() async throws {
        let workspace = try TestSupport.Workspace()
        let mark = VisibleMark(content: .text("Hallmark test"), placement: .moving, period: 1)
        let result = try workspace.stamp(TestSupport.fixture("testsrc-720p.mp4"), visible: mark)
        let report = try await workspace.verifier().verify(result.output)
        #expect(report.visibleWatermark.detected)
        #expect(Set(report.visibleWatermark.positions.map(\.corner)).count >= 2, "moving mark should visit several corners")
        #expect(report.watermark.markId == result.markIdHex, "the invisible mark survives the visible one")
        let unmarked = try await workspace.verifier().verify(TestSupport.fixture("testsrc-720p.mp4"))
        #expect(!unmarked.visibleWatermark.detected)
    }

    @Test func pngLogoIsAccepted() async throws {
        let workspace = try TestSupport.Workspace()
        let mark = try VisibleMark.parse(TestSupport.fixture("logo.png").path)
        let result = try workspace.stamp(TestSupport.fixture("bars-720p.mp4"), visible: mark)
        let report = try await workspace.verifier().verify(result.output)
        #expect(report.watermark.markId == result.markIdHex)
    }
}
