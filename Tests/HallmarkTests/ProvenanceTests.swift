import Foundation
import Testing
@testable import Hallmark
import HallmarkRegistry

/// Content Credentials, attribution, batch scans and the registry commands, end to end.
@Suite(.serialized, .tags(.endToEnd))
struct ProvenanceTests {
    typealias CLI = CommandLineTests

    static let c2paPython: URL = {
        if let path = ProcessInfo.processInfo.environment["HALLMARK_C2PA_PYTHON"] { return URL(fileURLWithPath: path) }
        return TestSupport.packageRoot.appendingPathComponent(".venv-c2pa/bin/python")
    }()
    static var hasC2PAPython: Bool { FileManager.default.isExecutableFile(atPath: c2paPython.path) }

    let home = TestSupport.temporaryDirectory("prov-home")
    let work = TestSupport.temporaryDirectory("prov-work")

    func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    func stamp(_ fixture: String, account: String, name: String, extra: [String] = []) throws -> (URL, String) {
        let output = work.appendingPathComponent(name)
        let run = try CLI.run(["stamp", TestSupport.fixture(fixture).path, "-o", output.path, "--account", account,
                               "--preset", "ultrafast", "--visible", "none"] + extra, home: home)
        #expect(run.status == 0, "\(run.stderr)")
        return (output, run.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    @Test func stampedClipsCarryTrustedCredentialsBoundToTheWatermark() throws {
        let account = "dana-private-7f3e9c"
        let (output, markId) = try stamp("testsrc-720p.mp4", account: account, name: "signed.mp4", extra: ["--generator", "VideoGen/2.1", "--model", "vg-2"])
        // The public file names no account anywhere (the manifest refers to the mark id only).
        #expect(try Data(contentsOf: output).range(of: Data(account.utf8)) == nil, "the stamped file contains the account id")
        let keys = home.appendingPathComponent("keys")
        for name in ["root-ca.key", "intermediate.key", "signer.key"] {
            let mode = try FileManager.default.attributesOfItem(atPath: keys.appendingPathComponent(name).path)[.posixPermissions] as? Int
            #expect(mode == 0o600, "\(name)")
        }
        // The development root is trusted only when asked: its private key sits beside it.
        let untrusted = try #require(try json(try CLI.run(["verify", output.path, "--format", "json"], home: home).stdout)["manifest"] as? [String: Any])
        #expect(untrusted["validationState"] as? String == "Valid")
        #expect((untrusted["statusCodes"] as? [String]) == ["signingCredential.untrusted"])
        #expect((untrusted["trustAnchors"] as? String)?.hasPrefix("none configured") == true)
        let report = try json(try CLI.run(["verify", output.path, "--format", "json", "--trust-dev-root"], home: home).stdout)
        let manifest = try #require(report["manifest"] as? [String: Any])
        #expect(manifest["present"] as? Bool == true)
        #expect(manifest["validationState"] as? String == "Trusted")
        #expect((manifest["trustAnchors"] as? String)?.contains("--trust-dev-root") == true)
        #expect(manifest["recovered"] as? Bool == false)
        #expect(manifest["softBindingMatchesWatermark"] as? Bool == true)
        #expect((manifest["assertions"] as? [String])?.contains("c2pa.soft-binding") == true)
        #expect((report["watermark"] as? [String: Any])?["markId"] as? String == markId)

        // The reference SDK agrees.
        if Self.hasC2PAPython {
            let script = TestSupport.packageRoot.appendingPathComponent("Tests/HallmarkC2PATests/interop/read_state.py")
            let process = Process()
            process.executableURL = Self.c2paPython
            process.arguments = [script.path, output.path, keys.appendingPathComponent("root-ca.pem").path]
            let pipe = Pipe()
            process.standardOutput = pipe
            try process.run()
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            let reading = try json(String(decoding: data, as: UTF8.self))
            #expect(reading["state"] as? String == "Trusted", "c2pa-python: \(reading)")
        }
    }

    @Test func strippedOrTamperedCredentialsAreCaught() throws {
        let (output, _) = try stamp("bars-720p.mp4", account: "erin", name: "s.mp4")
        // Metadata stripped by a remux: the registry's copy is recovered, and its hard binding no longer matches.
        if TestSupport.hasFFmpegCLI {
            let stripped = work.appendingPathComponent("stripped.mp4")
            try TestSupport.ffmpeg(["-i", output.path, "-c", "copy", "-map_metadata", "-1", stripped.path])
            let manifest = try #require(try json(try CLI.run(["verify", stripped.path, "--format", "json"], home: home).stdout)["manifest"] as? [String: Any])
            #expect(manifest["recovered"] as? Bool == true)
            #expect(manifest["validationState"] as? String == "Invalid")
            #expect((manifest["statusCodes"] as? [String])?.contains("assertion.bmffHash.mismatch") == true)
        }
        // One media byte flipped near the end of the file (inside mdat).
        var bytes = try Data(contentsOf: output)
        bytes[bytes.count - 100] ^= 0x01
        let flipped = work.appendingPathComponent("flipped.mp4")
        try bytes.write(to: flipped)
        let manifest = try #require(try json(try CLI.run(["verify", flipped.path, "--format", "json"], home: home).stdout)["manifest"] as? [String: Any])
        #expect(manifest["validationState"] as? String == "Invalid")
        #expect((manifest["statusCodes"] as? [String])?.contains("assertion.bmffHash.mismatch") == true)
    }

    @Test func signAddsCredentialsWithoutReencoding() throws {
        // A home made for development: its verifier trusts its own root without a flag.
        #expect(try CLI.run(["keys", "init", "--algorithm", "ed25519", "--dev"], home: home).status == 0)
        #expect(try CLI.run(["keys", "init"], home: home).status == 78, "refuses to replace keys")
        let input = TestSupport.fixture("bars-720p.mp4")
        let output = work.appendingPathComponent("signed-only.mp4")
        let run = try CLI.run(["sign", input.path, "-o", output.path], home: home)
        #expect(run.status == 0, "\(run.stderr)")
        let report = try json(try CLI.run(["verify", output.path, "--format", "json"], home: home).stdout)
        #expect((report["manifest"] as? [String: Any])?["validationState"] as? String == "Trusted")
        #expect((report["watermark"] as? [String: Any])?["detected"] as? Bool == false)
        // A reader that trusts another root sees a valid but untrusted signature.
        let otherHome = TestSupport.temporaryDirectory("other-pki")
        #expect(try CLI.run(["keys", "init"], home: otherHome).status == 0)
        let otherRoot = otherHome.appendingPathComponent("keys/root-ca.pem").path
        let untrusted = try json(try CLI.run(["verify", output.path, "--format", "json", "--trust-anchors", otherRoot], home: home).stdout)
        #expect((untrusted["manifest"] as? [String: Any])?["validationState"] as? String == "Valid")
    }

    @Test func splicedClipIsAttributedWindowByWindow() throws {
        try #require(TestSupport.hasFFmpegCLI, "needs the ffmpeg CLI to splice")
        let (a, markA) = try stamp("testsrc-720p.mp4", account: "alice", name: "a.mp4")
        let (b, markB) = try stamp("testsrc-720p.mp4", account: "bob", name: "b.mp4")
        let spliced = work.appendingPathComponent("spliced.mp4")
        try TestSupport.ffmpeg(["-i", a.path, "-i", b.path, "-filter_complex",
                                "[0:v]trim=0:1.5,setpts=PTS-STARTPTS[x];[1:v]trim=1.5:3,setpts=PTS-STARTPTS[y];[x][y]concat=n=2:v=1[v]",
                                "-map", "[v]", "-c:v", "libx264", "-crf", "23", "-preset", "veryfast", spliced.path])
        let run = try CLI.run(["trace", spliced.path, "--format", "json"], home: home)
        #expect(run.status == 0)
        let trace = try #require(try json(run.stdout)["trace"] as? [String: Any])
        #expect(Set(trace["accounts"] as? [String] ?? []) == ["alice", "bob"])
        let windows = try #require(trace["windows"] as? [[String: Any]])
        let first = try #require(windows.first), last = try #require(windows.last)
        #expect(first["account"] as? String == "alice" && first["markId"] as? String == markA)
        #expect(last["account"] as? String == "bob" && last["markId"] as? String == markB)
        for window in windows where window["account"] is String {
            #expect((window["falseAttributionProbability"] as? Double).map { $0 < 1e-6 } == true)
        }
        // Unmarked: nobody is named.
        let clean = try json(try CLI.run(["trace", TestSupport.fixture("motion-540p.mp4").path, "--format", "json"], home: home).stdout)
        #expect((clean["trace"] as? [String: Any])?["account"] is NSNull)
    }

    @Test func batchScanWritesOneLinePerFileAndSurvivesBadFiles() throws {
        let folder = work.appendingPathComponent("scan")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let (stamped, markId) = try stamp("bars-720p.mp4", account: "frank", name: "scan/marked.mp4")
        _ = stamped
        try FileManager.default.copyItem(at: TestSupport.fixture("dark-540p.mp4"), to: folder.appendingPathComponent("clean.mp4"))
        try Data("garbage".utf8).write(to: folder.appendingPathComponent("broken.mp4"))
        let run = try CLI.run(["verify", folder.path, "--format", "json", "--jobs", "2"], home: home)
        #expect(run.status == 65, "a bad file makes the scan exit 65 at the end")
        let lines = run.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 3)
        let objects = try lines.map { try json($0) }
        #expect(objects.filter { $0["error"] != nil }.count == 1)
        let marked = try #require(objects.first { ($0["file"] as? String)?.hasSuffix("marked.mp4") == true })
        #expect((marked["watermark"] as? [String: Any])?["markId"] as? String == markId)
        #expect((marked["trace"] as? [String: Any])?["account"] as? String == "frank")
    }

    @Test func registryListsAndExports() throws {
        _ = try stamp("bars-720p.mp4", account: "gina", name: "g1.mp4", extra: ["--label", "teaser, v1"])
        _ = try stamp("bars-720p.mp4", account: "hal", name: "h1.mp4")
        let list = try CLI.run(["registry", "list", "--account", "gina", "--format", "json"], home: home)
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [[String: Any]])
        #expect(rows.count == 1 && rows[0]["account"] as? String == "gina" && rows[0]["clipLabel"] as? String == "teaser, v1")
        let csv = work.appendingPathComponent("marks.csv")
        #expect(try CLI.run(["registry", "export", "--format", "csv", "-o", csv.path], home: home).status == 0)
        let text = try String(contentsOf: csv, encoding: .utf8)
        #expect(text.split(separator: "\n").count == 3)
        #expect(text.contains("\"teaser, v1\""))
        #expect(try CLI.run(["registry", "list"], home: TestSupport.temporaryDirectory("no-registry")).status == 78)
    }

    static let postgresURL = ProcessInfo.processInfo.environment["HALLMARK_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }

    @Test func concurrentStampingOnSQLite() throws {
        try concurrentStamping(backend: "sqlite", registry: work.appendingPathComponent("shared.sqlite").path)
    }

    @Test(.enabled(if: postgresURL != nil, "set HALLMARK_TEST_POSTGRES_URL (scripts/start-postgres.sh prints one) to run against a real server"))
    func concurrentStampingOnPostgreSQL() throws {
        try concurrentStamping(backend: "postgres", registry: try PostgresTestDatabase.create(from: Self.postgresURL!))
    }

    /// Several stamping processes at once against one registry: no duplicate ids, no lost rows.
    func concurrentStamping(backend: String, registry: String) throws {
        let tiny = work.appendingPathComponent("tiny.mp4")
        if !FileManager.default.fileExists(atPath: tiny.path) {
            try #require(TestSupport.hasFFmpegCLI, "needs the ffmpeg CLI for a tiny clip")
            try TestSupport.ffmpeg(["-f", "lavfi", "-i", "testsrc2=s=128x72:r=10:d=0.3", "-c:v", "libx264", "-preset", "ultrafast", tiny.path])
        }
        let processes = 8, stampsEach = 12
        let executable = try #require(CLI.executable)
        var children: [Process] = []
        for p in 0..<processes {
            let script = (0..<stampsEach).map { i in
                "'\(executable.path)' stamp '\(tiny.path)' -o '\(work.path)/c-\(backend)-\(p)-\(i).mp4' --account p\(p) --preset ultrafast --visible none --no-manifest --registry '\(registry)' > /dev/null || exit 1"
            }.joined(separator: "\n")
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", script]
            var environment = ProcessInfo.processInfo.environment
            environment["HALLMARK_HOME"] = home.path
            process.environment = environment
            try process.run()
            children.append(process)
        }
        for child in children { child.waitUntilExit() }
        #expect(children.allSatisfy { $0.terminationStatus == 0 })
        let store = try openRegistry(try RegistryLocation.parse(registry), create: false)
        let records = try store.records(account: nil)
        #expect(records.count == processes * stampsEach)
        #expect(Set(records.map(\.markId)).count == records.count)
        for p in 0..<processes { #expect(records.filter { $0.account == "p\(p)" }.count == stampsEach) }
    }
}

/// A fresh database on the test server for one test.
enum PostgresTestDatabase {
    static func create(from url: String) throws -> String {
        let name = "hallmark_cli_\(UUID().uuidString.prefix(8).lowercased())"
        let psql = Process()
        psql.executableURL = URL(fileURLWithPath: "/usr/bin/psql")
        psql.arguments = [url, "-q", "-c", "CREATE DATABASE \(name)"]
        try psql.run()
        psql.waitUntilExit()
        guard psql.terminationStatus == 0 else { throw HallmarkError(.configuration, "cannot create test database") }
        guard let slash = url.range(of: "/", options: .backwards) else { return url }
        return String(url[..<slash.upperBound]) + name
    }
}
