import Foundation
import Testing
@testable import Hallmark
import HallmarkRegistry
import HallmarkSignal

/// Informed detection and collusion: the copies a leaker or a group of leakers posts, traced
/// against the marks issued for the same source. Every account named must have contributed, and
/// the contributors the issue's targets ask for must be named.
@Suite(.serialized, .tags(.media))
struct AttributionTests {
    let work = TestSupport.temporaryDirectory("attribution")

    /// A source clip and `count` copies of it stamped for acct1 ... acctN (one source id).
    struct Generation {
        let workspace: Workspace
        let copies: [URL]
        let markIds: [String]
        var accounts: [String] { (1...copies.count).map { "acct\($0)" } }
    }
    typealias Workspace = TestSupport.Workspace

    /// Stamped as `hallmark stamp` does by default (CRF 18, preset medium, the default visible mark).
    func generation(from source: URL, copies count: Int) throws -> Generation {
        let workspace = try Workspace()
        var copies: [URL] = [], markIds: [String] = []
        for index in 1...count {
            let copy = workspace.directory.appendingPathComponent("copy\(index).mp4")
            let result = try workspace.stamper.stamp(StampRequest(input: source, output: copy, account: "acct\(index)"))
            copies.append(copy)
            markIds.append(result.markIdHex)
        }
        return Generation(workspace: workspace, copies: copies, markIds: markIds)
    }

    /// Re-encodes `inputs` through an ffmpeg filter graph ending in `[v]`, as a third party would.
    func attacked(_ inputs: [URL], graph: String, encoder: [String] = ["-c:v", "libx264", "-crf", "23"], name: String) throws -> URL {
        let output = work.appendingPathComponent(name)
        let status = try TestSupport.ffmpeg(inputs.flatMap { ["-i", $0.path] }
            + ["-filter_complex", graph, "-map", "[v]"] + encoder + ["-preset", "medium", "-pix_fmt", "yuv420p", output.path])
        try #require(status == 0, "ffmpeg failed making \(name)")
        return output
    }

    func trace(_ url: URL, in generation: Generation) async throws -> VerificationReport.Trace {
        try await generation.workspace.verifier().verify(url).trace
    }

    /// Every account named contributed; returns the accounts named.
    @discardableResult
    func expectOnlyContributors(_ trace: VerificationReport.Trace, _ contributors: [String], _ label: String) -> Set<String> {
        let named = Set(trace.accused.map(\.account))
        #expect(named.isSubset(of: Set(contributors)), "\(label): named \(named), contributors \(contributors)")
        for accused in trace.accused {
            #expect(accused.falseAccusationProbability <= 1e-9, "\(label): \(accused.account) named at \(accused.falseAccusationProbability)")
        }
        return named
    }

    @Test func averagedAndInterleavedCopiesNameContributorsOnly() async throws {
        try #require(TestSupport.hasFFmpegCLI, "needs the ffmpeg CLI to average copies")
        let generation = try generation(from: TestSupport.fixture("motion-540p.mp4"), copies: 6)
        let c = generation.copies, accounts = generation.accounts

        // Two copies averaged: both accounts named, each at P(false) <= 1e-6.
        let averaged = try await generation.workspace.verifier().analyse(try attacked([c[0], c[1]], graph: "[0:v][1:v]mix=inputs=2[v]", name: "avg2.mp4"))
        let two = averaged.report.trace
        let namedTwo = expectOnlyContributors(two, Array(accounts[0..<2]), "avg2")
        #expect(namedTwo == Set(accounts[0..<2]))
        #expect(two.accused.allSatisfy { $0.falseAccusationProbability <= 1e-6 })
        #expect(two.note?.contains("at least these accounts contributed") == true, "\(two.note ?? "no note")")
        // The investigator's report says it in words and lists each account with its probability.
        let html = HTMLReport.render(averaged)
        #expect(html.contains("mixes copies issued to 2 accounts"))
        let table = try #require(html.range(of: "<table class=\"accused\">").map { html[$0.lowerBound...] })
        let accusedRows = table[..<(table.range(of: "</table>")?.lowerBound ?? table.endIndex)]
        #expect(accusedRows.components(separatedBy: "<tr><td>").count - 1 == 2)
        for accused in two.accused { #expect(accusedRows.contains("<td>\(accused.account)</td><td><code>\(accused.markId)</code>")) }

        // Three: at least one named.
        let three = try await trace(try attacked([c[0], c[1], c[2]], graph: "[0:v][1:v][2:v]mix=inputs=3[v]", name: "avg3.mp4"), in: generation)
        #expect(!expectOnlyContributors(three, Array(accounts[0..<3]), "avg3").isEmpty)

        // Unequal weights: the strong contributor at least.
        let unequal = try await trace(try attacked([c[3], c[4]], graph: "[0:v][1:v]mix=inputs=2:weights=3 1[v]", name: "avg-3-1.mp4"), in: generation)
        #expect(expectOnlyContributors(unequal, [accounts[3], accounts[4]], "avg 3:1").contains(accounts[3]))

        // Frames alternating between two copies.
        let interleaved = try await trace(try attacked([c[4], c[5]], graph: "[0:v][1:v]blend=all_expr='if(mod(N,2),B,A)'[v]", name: "interleave.mp4"), in: generation)
        #expect(!expectOnlyContributors(interleaved, [accounts[4], accounts[5]], "interleave").isEmpty)
    }

    /// The project's own fixture at a generator's 640x272 (all of its 4 s, 8 copies issued),
    /// through repost rows where the blind search usually loses the sync: the tile search finds
    /// the candidates' tiles, and the right account is named at the issue's level, 1e-6. At 3 s
    /// the crop row misses about 1 run in 8, and resize 0.71 + CRF 28 (named in 11 runs of 12 at
    /// 4 s) scores near 6.5 where it needs 7.6: the closing note of the attribution issue has them.
    @Test func smallProjectSourceAttributesThroughTheTileSearch() async throws {
        try #require(TestSupport.hasFFmpegCLI, "needs the ffmpeg CLI to make the source and the copies")
        let source = work.appendingPathComponent("motion-640x272.mp4")
        try #require(try TestSupport.ffmpeg(["-i", TestSupport.fixture("motion-540p.mp4").path,
                                             "-vf", "scale=640:272:force_original_aspect_ratio=increase,crop=640:272", "-an",
                                             "-c:v", "libx264", "-crf", "12", "-preset", "veryfast", source.path]) == 0)
        let generation = try generation(from: source, copies: 8)
        var options = VerifyOptions(threshold: 1e-6)
        options.command = "test"
        let verifier = try Verifier(home: generation.workspace.home, options: options)
        let rows: [(String, String, [String])] = [
            ("crop0.9-crf30", "[0:v]crop=iw*0.9:ih*0.9,scale=trunc(iw/2)*2:trunc(ih/2)*2[v]", ["-c:v", "libx264", "-crf", "30"]),
            ("h265-crf30", "[0:v]null[v]", ["-c:v", "libx265", "-crf", "30", "-x265-params", "log-level=error"]),
        ]
        for (name, graph, encoder) in rows {
            let report = try await verifier.verify(try attacked([generation.copies[1]], graph: graph, encoder: encoder, name: "motion-\(name).mp4"))
            let named = Set(report.trace.accused.map(\.account))
            #expect(named == [generation.accounts[1]], "\(name): named \(named); blind \(report.watermark.detected), sync \(report.watermark.syncScore), \(report.trace.note ?? "")")
            #expect(report.trace.accused.allSatisfy { $0.falseAccusationProbability <= 1e-6 }, "\(name)")
        }
    }

    /// Common generator output sizes, made from the real AI clip (the synthetic fixtures at
    /// 640x272 are weaker: the closing note of the attribution issue has the figures).
    @Test(.enabled(if: TestSupport.hasSharedClip, "needs ../shared/media/ai-clip-1080p.mp4"),
          arguments: ["640x272", "832x480"])
    func smallSourceAttributesAfterRepostStyleCopies(size: String) async throws {
        try #require(TestSupport.hasFFmpegCLI, "needs the ffmpeg CLI to make the copies")
        let geometry = size.replacingOccurrences(of: "x", with: ":")
        let source = work.appendingPathComponent("source-\(size).mp4")
        try #require(try TestSupport.ffmpeg(["-i", TestSupport.aiClip.path, "-t", "3",
                                             "-vf", "scale=\(geometry):force_original_aspect_ratio=increase,crop=\(geometry)", "-an",
                                             "-c:v", "libx264", "-crf", "12", "-preset", "veryfast", source.path]) == 0)
        let generation = try generation(from: source, copies: 3)
        let rows: [(String, String, [String])] = [
            ("crop0.9-crf30", "[0:v]crop=iw*0.9:ih*0.9,scale=trunc(iw/2)*2:trunc(ih/2)*2[v]", ["-c:v", "libx264", "-crf", "30"]),
            ("resize0.71-crf28", "[0:v]scale=trunc(iw*0.71/2)*2:trunc(ih*0.71/2)*2[v]", ["-c:v", "libx264", "-crf", "28"]),
            ("h265-crf30", "[0:v]null[v]", ["-c:v", "libx265", "-crf", "30", "-x265-params", "log-level=error"]),
        ]
        for (name, graph, encoder) in rows {
            let report = try await generation.workspace.verifier().verify(try attacked([generation.copies[1]], graph: graph, encoder: encoder, name: "\(size)-\(name).mp4"))
            let trace = report.trace
            let named = expectOnlyContributors(trace, [generation.accounts[1]], "\(size) \(name)")
            // It failed once in 37 runs (nobody named); what the detector saw, should it fail again.
            let watermark = report.watermark
            #expect(named == [generation.accounts[1]], """
                \(size) \(name): \(trace.note ?? "") | watermark detected \(watermark.detected), id \(watermark.markId ?? "none") \
                (issued \(generation.markIds[1])), p \(watermark.pValue), sync \(watermark.syncScore), frames \(watermark.framesAnalyzed), \
                note \(watermark.note ?? "") | candidates \(trace.candidateSet.map { "\($0.kind) \($0.size)" } ?? "none"), \
                best \(trace.candidate.map { "\($0.account) p \($0.falseAttributionProbability)" } ?? "none")
                """)
            #expect(trace.accused.first.map { $0.falseAccusationProbability <= 1e-6 } == true, "\(size) \(name)")
        }
    }

    /// A splice of two accounts' 640x272 copies: each half names its own account.
    @Test(.enabled(if: TestSupport.hasSharedClip, "needs ../shared/media/ai-clip-1080p.mp4"))
    func spliceOfSmallCopiesNamesEachHalf() async throws {
        try #require(TestSupport.hasFFmpegCLI, "needs the ffmpeg CLI to splice")
        let source = work.appendingPathComponent("splice-source.mp4")
        try #require(try TestSupport.ffmpeg(["-i", TestSupport.aiClip.path, "-t", "3", "-vf", "scale=640:272:force_original_aspect_ratio=increase,crop=640:272", "-an",
                                             "-c:v", "libx264", "-crf", "12", "-preset", "veryfast", source.path]) == 0)
        let generation = try generation(from: source, copies: 2)
        let spliced = try attacked(generation.copies, graph: "[0:v]trim=0:1.5,setpts=PTS-STARTPTS[x];[1:v]trim=1.5:3,setpts=PTS-STARTPTS[y];[x][y]concat=n=2:v=1[v]",
                                   name: "splice-640x272.mp4")
        let trace = try await trace(spliced, in: generation)
        #expect(expectOnlyContributors(trace, generation.accounts, "splice") == Set(generation.accounts))
        let first = try #require(trace.accused.first { $0.account == "acct1" }), second = try #require(trace.accused.first { $0.account == "acct2" })
        #expect(first.windows.allSatisfy { $0[1] <= 2.01 }, "acct1 in \(first.windows)")
        #expect(second.windows.allSatisfy { $0[0] >= 0.99 }, "acct2 in \(second.windows)")
    }

    /// `hallmark eval` runs the collusion rows with attribution columns.
    @Test func evaluationHasCollusionRows() async throws {
        let evaluator = Evaluator()
        evaluator.attacks = [Attack.matrix[0]]
        evaluator.collusionCopies = 2
        evaluator.includeCollusionRow = { $0 == "average of 2 copies" }
        let summary = try await evaluator.run(input: TestSupport.fixture("motion-540p.mp4"), workDirectory: work.appendingPathComponent("eval"))
        #expect(summary.rows.map(\.attack) == ["none (stamped file)", "average of 2 copies"])
        let single = try #require(summary.rows.first), averaged = try #require(summary.rows.last)
        #expect(single.contributors == 1 && single.contributorsNamed == 1 && single.markIdCorrect)
        // Both colluders of a 2-copy average of this 3 s 540p excerpt are named for about 95 % of
        // fresh keys (97 of 102 runs on 2026-12-03; the misses named one, and nobody else). How
        // often is what `hallmark eval` reports; this test checks the rows' plumbing, and that
        // nobody innocent is ever named.
        #expect(averaged.contributors == 2 && (1...2).contains(averaged.contributorsNamed), "\(averaged)")
        for row in summary.rows {
            #expect(row.innocentsNamed == 0 && !row.wrongId && row.error == nil, "\(row)")
        }
    }

    /// Unmarked clips against 10^5 issued marks: nobody is named, and the best candidate's
    /// probability is not small.
    @Test func unmarkedClipsAccuseNobodyAmongManyIssuedMarks() async throws {
        var random = KeyedRandom(key: [UInt8](repeating: 5, count: 32), domain: "many-marks")
        let registry = FixedRegistry(markIds: (0..<100_000).map { _ in random.next() | 1 })
        var options = VerifyOptions()
        options.candidateMode = .registry
        let verifier = Verifier(key: WatermarkKey.generate(), registry: registry, options: options)
        for name in ["motion-540p.mp4", "testsrc-720p.mp4", "bars-720p.mp4", "dark-540p.mp4", "odd-718x404.mp4"] {
            let trace = try await verifier.verify(TestSupport.fixture(name)).trace
            #expect(trace.accused.isEmpty, "\(name): \(trace.accused.map(\.account))")
            #expect(trace.account == nil)
            #expect(trace.candidateSet?.size == 100_000)
            if let candidate = trace.candidate {
                #expect(candidate.falseAttributionProbability > 1e-3, "\(name): near miss at \(candidate.falseAttributionProbability)")
            }
        }
    }
}

/// An in-memory registry of many issued marks (read-only), for scoring against a large codebook
/// without writing 10^5 rows.
struct FixedRegistry: MarkRegistry {
    let ids: [UInt64]
    let byId: [UInt64: Int]

    init(markIds: [UInt64]) {
        ids = markIds
        byId = Dictionary(markIds.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
    }

    func record(markId: UInt64) throws -> MarkRecord? {
        guard let index = byId[markId] else { return nil }
        return MarkRecord(markId: markId, account: "account-\(index)", clipLabel: nil, inputSHA256: nil, outputSHA256: nil,
                          createdAt: Date(timeIntervalSince1970: 1_700_000_000), visibleMark: nil, manifest: nil, sourceId: "source-\(index / 8)")
    }
    func insert(_ record: MarkRecord) throws { throw RegistryError.unsupported("a fixed test registry is read-only") }
    func contains(markId: UInt64) throws -> Bool { byId[markId] != nil }
    func count() throws -> Int { ids.count }
    func records(account: String?) throws -> [MarkRecord] { try ids.compactMap { try record(markId: $0) }.filter { account == nil || $0.account == account } }
    func setDelivery(markId: UInt64, to delivery: MarkRecord.Delivery) throws {}
    func pendingRecords() throws -> [MarkRecord] { [] }
    func records(sourceId: String) throws -> [MarkRecord] { try ids.compactMap { try record(markId: $0) }.filter { $0.sourceId == sourceId } }
    func markIds() throws -> [UInt64] { ids }
    func unusedMarkId() throws -> UInt64 { throw RegistryError.unsupported("a fixed test registry is read-only") }
    func record(manifestLabel label: String) throws -> MarkRecord? { nil }
    func recordsWithoutManifestLabel(limit: Int) throws -> [MarkRecord] { [] }
    func setManifestLabels(_ labels: [UInt64: String]) throws { throw RegistryError.unsupported("a fixed test registry is read-only") }
}
