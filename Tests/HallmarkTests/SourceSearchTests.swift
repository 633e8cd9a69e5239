import Foundation
import Testing
@testable import Hallmark
import HallmarkFingerprint
import HallmarkSignal
@testable import HallmarkRegistry

/// Reverse search end to end on the project's fixtures: a stamp stores its source's fingerprint,
/// and transformed copies (made with the ffmpeg CLI, as a third party would) are found with the
/// right offset, while unrelated clips (other fixtures, noise, black) are not.
@Suite(.serialized, .tags(.media), .enabled(if: TestSupport.hasFFmpegCLI, "needs the ffmpeg CLI to make transformed copies"))
struct SourceSearchTests {
    /// Built once: motion-540p and testsrc-720p stamped into one registry.
    final class Setup: @unchecked Sendable {
        let workspace: TestSupport.Workspace
        let motion: StampResult
        let testsrc: StampResult
        let work = TestSupport.temporaryDirectory("source-search")

        init() throws {
            workspace = try TestSupport.Workspace()
            motion = try workspace.stamp(TestSupport.fixture("motion-540p.mp4"), account: "acct-motion", name: "motion.mp4")
            testsrc = try workspace.stamp(TestSupport.fixture("testsrc-720p.mp4"), account: "acct-testsrc", name: "testsrc.mp4")
        }

        /// `arguments` applied to the stamped motion clip with the ffmpeg CLI.
        func copy(_ name: String, _ arguments: [String], input: URL? = nil) throws -> URL {
            let output = work.appendingPathComponent(name + ".mp4")
            let status = try TestSupport.ffmpeg(["-i", (input ?? motion.output).path] + arguments
                + ["-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", "-an", output.path])
            try #require(status == 0, "ffmpeg failed for \(name)")
            return output
        }

        func search(_ url: URL, exhaustiveBelow: Int = 256) throws -> SourceSearch.Outcome {
            var search = SourceSearch()
            search.exhaustiveBelow = exhaustiveBelow
            return try search.search(ClipFingerprint.of(url, suspect: true), in: workspace.stamper.registry)
        }
    }

    static let setup = Result { try Setup() }

    /// (name, ffmpeg arguments, true offset in seconds): excerpts from 1 s, transformed.
    static let transformations: [(String, [String], Double)] = [
        ("crf35", ["-ss", "1", "-t", "2", "-crf", "35"], 1),
        ("360p", ["-ss", "1", "-t", "2", "-vf", "scale=-2:360"], 1),
        ("crop0.8", ["-ss", "1", "-t", "2", "-vf", "crop=trunc(iw*0.4)*2:trunc(ih*0.4)*2"], 1),
        ("brightness-contrast-gamma", ["-ss", "1", "-t", "2", "-vf", "eq=brightness=0.1:contrast=1.3:gamma=1.4"], 1),
        ("hflip", ["-ss", "1", "-t", "2", "-vf", "hflip"], 1),
        ("fps30", ["-ss", "1", "-t", "2", "-vf", "fps=30"], 1),
        ("fps25", ["-ss", "1", "-t", "2", "-vf", "fps=25"], 1),
        ("letterbox", ["-ss", "1", "-t", "2", "-vf", "scale=540:-2,pad=540:960:(ow-iw)/2:(oh-ih)/2"], 1),
        ("overlay", ["-ss", "1", "-t", "2", "-vf", "drawbox=x=iw*0.1:y=ih*0.75:w=iw*0.6:h=ih*0.1:color=white@0.9:t=fill"], 1),
        ("caption-bar", ["-ss", "1", "-t", "2", "-vf", "drawbox=x=iw*0.05:y=ih*0.72:w=iw*0.7:h=ih*0.14:color=white@0.85:t=fill,drawbox=x=iw*0.1:y=ih*0.76:w=iw*0.5:h=ih*0.05:color=black:t=fill"], 1),
        ("excerpt1.5s", ["-ss", "2.2", "-t", "1.5"], 2.2),
    ]

    @Test(arguments: transformations.map(\.0))
    func transformedCopyIsFound(_ name: String) throws {
        let setup = try Self.setup.get()
        let (_, arguments, truth) = try #require(Self.transformations.first { $0.0 == name })
        let outcome = try setup.search(try setup.copy(name, arguments))
        let best = try #require(outcome.matches.first, "\(name): no match (near-miss \(String(describing: outcome.nearMiss)))")
        #expect(best.sourceId == setup.motion.record.sourceId)
        // The motion fixture zooms into a fractal, so a centred crop also looks like a slightly
        // later frame: one sample step of slack there.
        let tolerance = name == "crop0.8" ? Fingerprint.step + 0.01 : 0.1
        #expect(abs(best.alignment.offsetSeconds - truth) <= tolerance, "\(name): offset \(best.alignment.offsetSeconds)")
        #expect(best.alignment.flipped == (name == "hflip"))
        #expect(outcome.matches.count == 1)
    }

    @Test func indexLookupFindsTheSourceWithoutScanning() throws {
        let setup = try Self.setup.get()
        // exhaustiveBelow 0: through the multi-index-hashing vote, as a large registry searches.
        let outcome = try setup.search(try setup.copy("vote-360p", ["-ss", "1", "-t", "2", "-vf", "scale=-2:360"]), exhaustiveBelow: 0)
        #expect(outcome.matches.first?.sourceId == setup.motion.record.sourceId)
        // A caption bar: found through the keys of the hashes above the caption band.
        let captioned = try setup.search(try setup.copy("vote-caption", ["-ss", "1", "-t", "2", "-vf",
            "drawbox=x=iw*0.05:y=ih*0.72:w=iw*0.7:h=ih*0.14:color=white@0.85:t=fill"]), exhaustiveBelow: 0)
        let match = try #require(captioned.matches.first, "near-miss \(String(describing: captioned.nearMiss))")
        #expect(match.sourceId == setup.motion.record.sourceId)
        #expect(match.alignment.aboveCaptions)
    }

    @Test(arguments: ["bars-720p.mp4", "dark-540p.mp4", "odd-718x404.mp4", "noise", "black"])
    func unrelatedClipIsNotMatched(_ name: String) throws {
        let setup = try Self.setup.get()
        let url: URL
        switch name {
        case "noise":
            url = setup.work.appendingPathComponent("noise.mp4")
            try TestSupport.ffmpeg(["-f", "lavfi", "-i", "color=c=gray:size=640x360:rate=25,noise=alls=60:allf=t+u", "-t", "2",
                                    "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", url.path])
        case "black":
            url = setup.work.appendingPathComponent("black.mp4")
            try TestSupport.ffmpeg(["-f", "lavfi", "-i", "color=c=black:size=640x360:rate=25", "-t", "2",
                                    "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", url.path])
        default:
            url = TestSupport.fixture(name)
        }
        let outcome = try setup.search(url)
        #expect(outcome.matches.isEmpty, "\(name) matched \(outcome.matches.map(\.sourceId))")
        #expect(outcome.indexSize == 2)
    }

    /// A copy whose mark nobody can read (here: verified with another key) and whose manifest the
    /// re-encode dropped: the reverse search's match is what names the candidate marks.
    @Test func reverseSearchMatchNamesTheCandidateSet() async throws {
        let setup = try Self.setup.get()
        let copy = try setup.copy("candidates-crf35", ["-ss", "1", "-t", "2", "-crf", "35"])
        var options = VerifyOptions()
        options.candidateMode = .source
        let verifier = Verifier(key: WatermarkKey.generate(), registry: setup.workspace.stamper.registry, options: options)
        let report = try await verifier.verify(copy)
        #expect(report.watermark.markId == nil)
        #expect(report.source.matches.first?.sourceId == setup.motion.record.sourceId)
        let set = try #require(report.trace.candidateSet)
        #expect(set.kind == "source")
        #expect(set.sourceId == setup.motion.record.sourceId)
        #expect(set.size == 1)
        #expect(set.reason.contains("reverse search"), "\(set.reason)")
        #expect(report.trace.accused.isEmpty)
    }

    @Test func verifyReportsTheSourceBlock() async throws {
        let setup = try Self.setup.get()
        let copy = try setup.copy("verify-crf35", ["-ss", "1", "-t", "2", "-crf", "35"])
        let report = try await setup.workspace.verifier().verify(copy)
        let match = try #require(report.source.matches.first)
        #expect(match.accounts == ["acct-motion"])
        #expect(match.markIds == [setup.motion.markIdHex])
        #expect(report.source.indexSize == 2)
        #expect(report.text().contains("source (reverse search):"))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(report.json().utf8)) as? [String: Any])
        let source = try #require(json["source"] as? [String: Any])
        #expect((source["matches"] as? [[String: Any]])?.first?["falseMatchProbability"] is Double)
        // An unrelated clip: an empty list, not a weak match.
        let unrelated = try await setup.workspace.verifier().verify(TestSupport.fixture("bars-720p.mp4"))
        #expect(unrelated.source.matches.isEmpty)
    }
}

/// `hallmark search` and `hallmark registry backfill` as a user runs them.
@Suite(.serialized, .tags(.endToEnd), .enabled(if: TestSupport.hasFFmpegCLI, "needs the ffmpeg CLI to make transformed copies"))
struct SearchCommandTests {
    @Test func searchPrintsTheSourceBlockAndBackfillRestoresAMissingFingerprint() throws {
        let workspace = try TestSupport.Workspace()
        let stamped = try workspace.stamp(TestSupport.fixture("motion-540p.mp4"), account: "acct-cli", name: "cli.mp4")
        let copy = workspace.directory.appendingPathComponent("copy.mp4")
        try #require(try TestSupport.ffmpeg(["-ss", "1", "-t", "2", "-i", stamped.output.path, "-vf", "scale=-2:360", "-c:v", "libx264",
                                             "-preset", "veryfast", "-crf", "30", copy.path]) == 0)
        func search() throws -> [String: Any] {
            let run = try TestSupport.runHallmark(["search", copy.path, "--format", "json"], home: workspace.directory)
            #expect(run.status == 0, "\(run.stderr)")
            return try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        }
        let found = try search()
        let match = try #require((found["matches"] as? [[String: Any]])?.first)
        #expect(match["accounts"] as? [String] == ["acct-cli"])
        #expect(match["markIds"] as? [String] == [stamped.markIdHex])
        #expect(abs((match["offsetSeconds"] as? Double ?? -1) - 1) <= 0.1)

        // A registry from before fingerprints: nothing found until backfill is given the file.
        let registry = try #require(workspace.stamper.registry as? SQLiteRegistry)
        try registry.withConnection { try $0.execute("DELETE FROM fingerprint_keys; DELETE FROM fingerprints") }
        #expect((try search()["matches"] as? [Any])?.isEmpty == true)
        let backfill = try TestSupport.runHallmark(["registry", "backfill", stamped.output.path], home: workspace.directory)
        #expect(backfill.status == 0, "\(backfill.stderr)")
        #expect(backfill.stdout.contains("fingerprinted"))
        #expect((try search()["matches"] as? [[String: Any]])?.first?["sourceId"] as? String == stamped.record.sourceId)
        let unknown = try TestSupport.runHallmark(["registry", "backfill", TestSupport.fixture("bars-720p.mp4").path], home: workspace.directory)
        #expect(unknown.stdout.contains("no record matches"))

        // A fingerprint stored by a version before the caption band (2): a captioned copy does not
        // match above the band until backfill extends the stored fingerprint.
        let captioned = workspace.directory.appendingPathComponent("captioned.mp4")
        try #require(try TestSupport.ffmpeg(["-ss", "1", "-t", "2", "-i", stamped.output.path, "-vf",
                                             "drawbox=x=iw*0.05:y=ih*0.72:w=iw*0.7:h=ih*0.14:color=white@0.85:t=fill",
                                             "-c:v", "libx264", "-preset", "veryfast", captioned.path]) == 0)
        let sourceId = try #require(stamped.record.sourceId)
        let id = try #require(try registry.fingerprintId(sourceId: sourceId))
        let row = try #require(try registry.fingerprints(ids: [id]).first)
        var old = try #require(Fingerprint(encoded: [UInt8](row.samples)))
        old.aboveCaptions = []
        try registry.withConnection { connection in
            try connection.execute("DELETE FROM fingerprint_keys WHERE key >= 262144")
            try connection.withStatement("UPDATE fingerprints SET samples = ?") { statement in
                try statement.bind(1, Data(old.encoded()))
                _ = try statement.step()
            }
        }
        func searchCaptioned() throws -> [String: Any]? {
            let run = try TestSupport.runHallmark(["search", captioned.path, "--format", "json"], home: workspace.directory)
            let json = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
            return (json["matches"] as? [[String: Any]])?.first
        }
        #expect(try searchCaptioned()?["aboveCaptions"] as? Bool != true)
        let extend = try TestSupport.runHallmark(["registry", "backfill", stamped.output.path], home: workspace.directory)
        #expect(extend.stdout.contains("extended with the hashes above the caption band"), "\(extend.stdout)")
        let after = try #require(try searchCaptioned())
        #expect(after["aboveCaptions"] as? Bool == true)
        #expect(after["sourceId"] as? String == stamped.record.sourceId)
    }
}
