import Foundation
import HallmarkC2PA
import HallmarkCrypto
import Testing

/// c2pa-python 0.38.1 (the reference SDK, c2pa-rs inside) and Hallmark read the same files the
/// same way. The Python side runs `interop/read_state.py` and `interop/sign.py`.
@Suite("Interop with c2pa-python", .serialized,
       .enabled(if: TestSupport.hasPython, "needs c2pa-python: python3 -m venv .venv-c2pa && .venv-c2pa/bin/pip install c2pa-python==0.38.1, or HALLMARK_C2PA_PYTHON"))
struct InteropTests {
    static let request = ManifestRequest(generatorName: "Hallmark", generatorVersion: "0.1.0", title: "clip",
                                         softBindingMarkId: 0x0123_4567_89ab_cdef, model: "test-model",
                                         clipLabel: "clip-1")

    /// Our report and c2pa-python's agree on presence, state and the failure codes.
    static func expectSame(_ file: URL, anchors: URL?, fragments: [URL] = [], manifest: URL? = nil, asset: URL? = nil,
                           sourceLocation: SourceLocation = #_sourceLocation) throws {
        let anchorsPEM = try anchors.map { try String(contentsOf: $0, encoding: .utf8) }
        let validator = ManifestValidator(trustAnchorsPEM: anchorsPEM)
        var extra: [String] = []
        let ours: ManifestReport
        if let manifest {
            extra = ["--manifest", manifest.path]
            ours = validator.validate(manifestStore: [UInt8](try Data(contentsOf: manifest)), assetFile: file)
        } else if !fragments.isEmpty {
            extra = ["--fragment", fragments[0].path]
            ours = validator.validate(file: file, fragments: fragments)
        } else {
            ours = validator.validate(file: file)
        }
        let theirs = try TestSupport.pythonRead(file, anchors: anchors, extra: extra)
        #expect(ours.present == theirs.present, "\(file.lastPathComponent): ours \(ours) theirs \(theirs)", sourceLocation: sourceLocation)
        #expect(ours.validationState == theirs.state, "\(file.lastPathComponent): ours \(ours) theirs \(theirs)", sourceLocation: sourceLocation)
        #expect(ours.statusCodes.sorted() == theirs.validation_status.sorted(),
                "\(file.lastPathComponent): ours \(ours.statusCodes) theirs \(theirs.validation_status)", sourceLocation: sourceLocation)
        if theirs.present, let active = theirs.activeManifest {
            #expect(ours.activeManifest == active, sourceLocation: sourceLocation)
        }
    }

    static func size(_ url: URL) throws -> UInt64 {
        try FileManager.default.attributesOfItem(atPath: url.path)[.size] as! UInt64
    }

    @Test("c2pa-python reads a stamped fixture as Trusted, Invalid after a media byte flips; we agree",
          .enabled(if: TestSupport.hasNoManifestVideo, "needs ../shared/c2pa-fixtures/video1_no_manifest.mp4"),
          arguments: SigningAlgorithm.allCases)
    func stampedFixtureIsTrusted(algorithm: SigningAlgorithm) throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let keys = dir.appendingPathComponent("keys")
        try DevelopmentPKI.create(in: keys, algorithm: algorithm)
        let output = dir.appendingPathComponent("stamped.mp4")
        try ManifestEmbedder.embed(input: TestSupport.noManifestVideo, output: output, request: Self.request,
                                   identity: try DevelopmentPKI.signingIdentity(in: keys))
        let anchor = DevelopmentPKI.rootCertificateURL(in: keys)
        let reading = try TestSupport.pythonRead(output, anchors: anchor)
        #expect(reading.state == "Trusted", "c2pa-python: \(reading)")
        #expect(reading.failure.isEmpty)
        #expect(reading.success.contains("assertion.bmffHash.match"))
        try Self.expectSame(output, anchors: anchor)
        try Self.expectSame(output, anchors: nil)

        try TestSupport.flipByte(output, at: try Self.size(output) - 1000)
        let tampered = try TestSupport.pythonRead(output, anchors: anchor)
        #expect(tampered.state == "Invalid", "c2pa-python: \(tampered)")
        #expect(tampered.failure.contains("assertion.bmffHash.mismatch"))
        try Self.expectSame(output, anchors: anchor)
    }

    @Test("a stamped MOV and a stamped ffmpeg clip are Trusted for c2pa-python")
    func otherContainers() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let keys = dir.appendingPathComponent("keys")
        try DevelopmentPKI.create(in: keys, algorithm: .es256)
        let identity = try DevelopmentPKI.signingIdentity(in: keys)
        let anchor = DevelopmentPKI.rootCertificateURL(in: keys)
        var inputs: [(URL, String)] = []
        if TestSupport.hasFixtures { inputs.append((TestSupport.fixture("c.mov"), "mov")) }
        if let tiny = try TestSupport.makeTinyMP4(in: dir) { inputs.append((tiny, "mp4")) }
        // Without ../shared and without ffmpeg there would be nothing to check: say so instead of passing.
        try #require(!inputs.isEmpty, "no input to sign: needs ../shared/c2pa-fixtures/c.mov or the ffmpeg CLI")
        for (input, ext) in inputs {
            let output = dir.appendingPathComponent("stamped-\(input.deletingPathExtension().lastPathComponent).\(ext)")
            try ManifestEmbedder.embed(input: input, output: output, request: Self.request, identity: identity)
            let reading = try TestSupport.pythonRead(output, anchors: anchor)
            #expect(reading.state == "Trusted", "\(output.lastPathComponent): \(reading)")
            try Self.expectSame(output, anchors: anchor)
        }
    }

    @Test("on every fixture our state and failure codes match c2pa-python's",
          .enabled(if: TestSupport.hasFixtures, "needs ../shared/c2pa-fixtures"),
          arguments: ["video1.mp4", "legacy.mp4", "dashinit.mp4", "video1_no_manifest.mp4", "c.mov", "nested_moov_1000.mp4"])
    func fixtures(name: String) throws {
        try Self.expectSame(TestSupport.fixture(name), anchors: TestSupport.fixtureCerts.appendingPathComponent("test_cert_root_bundle.pem"))
        try Self.expectSame(TestSupport.fixture(name), anchors: nil)
    }

    @Test("the fragmented fixture with its fragment: same as c2pa-python",
          .enabled(if: TestSupport.hasFixtures, "needs ../shared/c2pa-fixtures"))
    func fragmented() throws {
        try Self.expectSame(TestSupport.fixture("dashinit.mp4"), anchors: TestSupport.fixtureCerts.appendingPathComponent("test_cert_root_bundle.pem"),
                            fragments: [TestSupport.fixture("dash1.m4s")])
    }

    @Test("files c2pa-python signs: embedded, tampered, sidecar and stripped, same verdicts",
          .enabled(if: TestSupport.hasNoManifestVideo, "needs ../shared/c2pa-fixtures"),
          arguments: ["es256", "ps256", "ed25519"])
    func pythonSigned(alg: String) throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let certs = TestSupport.fixtureCerts
        let anchors = certs.appendingPathComponent("test_cert_root_bundle.pem")
        let sign = TestSupport.interop.appendingPathComponent("sign.py").path

        let signed = dir.appendingPathComponent("signed.mp4")
        let store = dir.appendingPathComponent("signed-store.c2pa")
        let result = try TestSupport.run(TestSupport.python, [sign, TestSupport.noManifestVideo.path, signed.path,
                                                              certs.appendingPathComponent("\(alg).pub").path,
                                                              certs.appendingPathComponent("\(alg).pem").path, alg, "--sidecar", store.path])
        #expect(result.contains("\"ok\": true"), "\(result)")
        try Self.expectSame(signed, anchors: anchors)
        try Self.expectSame(signed, anchors: nil)
        let report = ManifestValidator(trustAnchorsPEM: try String(contentsOf: anchors, encoding: .utf8)).validate(file: signed)
        #expect(report.validationState == "Trusted")

        // The store against the stripped (unsigned) original: signature fine, binding mismatched.
        try Self.expectSame(TestSupport.noManifestVideo, anchors: anchors, manifest: store)

        // A sidecar manifest (not embedded).
        let clip = dir.appendingPathComponent("clip.mp4")
        let sidecar = dir.appendingPathComponent("clip.c2pa")
        _ = try TestSupport.run(TestSupport.python, [sign, TestSupport.noManifestVideo.path, clip.path,
                                                     certs.appendingPathComponent("\(alg).pub").path,
                                                     certs.appendingPathComponent("\(alg).pem").path, alg,
                                                     "--sidecar", sidecar.path, "--no-embed"])
        try Self.expectSame(clip, anchors: anchors, manifest: sidecar)
        let sidecarReport = ManifestValidator(trustAnchorsPEM: try String(contentsOf: anchors, encoding: .utf8)).validate(file: clip)
        #expect(sidecarReport.source == "sidecar")
        #expect(sidecarReport.validationState == "Trusted", "\(sidecarReport)")

        // One media byte flipped.
        try TestSupport.flipByte(signed, at: try Self.size(signed) - 1000)
        try Self.expectSame(signed, anchors: anchors)
    }

    @Test("Merkle-tree BMFF hashes c2pa-python writes (root only, and proofs in merkle boxes): same verdicts",
          .enabled(if: TestSupport.hasNoManifestVideo, "needs ../shared/c2pa-fixtures"),
          arguments: [64, 1])
    func merkle(blockKiB: Int) throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let certs = TestSupport.fixtureCerts
        let anchors = certs.appendingPathComponent("test_cert_root_bundle.pem")
        let signed = dir.appendingPathComponent("merkle.mp4")
        let result = try TestSupport.run(TestSupport.python, [TestSupport.interop.appendingPathComponent("sign.py").path,
                                                              TestSupport.noManifestVideo.path, signed.path,
                                                              certs.appendingPathComponent("es256.pub").path,
                                                              certs.appendingPathComponent("es256.pem").path, "es256",
                                                              "--merkle-kb", String(blockKiB)])
        #expect(result.contains("\"ok\": true"), "\(result)")
        let report = ManifestValidator(trustAnchorsPEM: try String(contentsOf: anchors, encoding: .utf8)).validate(file: signed)
        #expect(report.validationState == "Trusted", "\(report)")
        try Self.expectSame(signed, anchors: anchors)
        // A byte inside mdat: only the Merkle tree covers it.
        try TestSupport.flipByte(signed, at: 100_000)
        let tampered = ManifestValidator(trustAnchorsPEM: try String(contentsOf: anchors, encoding: .utf8)).validate(file: signed)
        #expect(tampered.statusCodes == ["assertion.bmffHash.mismatch"], "\(tampered)")
        try Self.expectSame(signed, anchors: anchors)
    }

    /// Signer certificates that break one rule of the C2PA certificate profile.
    enum OddSigner: String, CaseIterable, Sendable {
        case expired, claimSigningOnly, codeSigningOnly, noKeyUsage, caSigner, selfSignedLeaf

        var leafExtensions: [(String, String)] {
            var eku = "emailProtection"
            var keyUsage: String? = "critical,digitalSignature"
            var basic = "critical,CA:FALSE"
            switch self {
            case .claimSigningOnly: eku = "1.3.6.1.4.1.62558.2.1"
            case .codeSigningOnly: eku = "codeSigning"
            case .noKeyUsage: keyUsage = nil
            case .caSigner: basic = "critical,CA:TRUE"; keyUsage = "critical,digitalSignature,keyCertSign"
            default: break
            }
            var list = [("basicConstraints", basic)]
            if let keyUsage { list.append(("keyUsage", keyUsage)) }
            list += [("extendedKeyUsage", eku), ("subjectKeyIdentifier", "hash"), ("authorityKeyIdentifier", "keyid:always")]
            return list
        }
    }

    @Test("odd signer certificates (no time-stamp): same verdict as c2pa-python",
          .enabled(if: TestSupport.hasNoManifestVideo, "needs ../shared/c2pa-fixtures/video1_no_manifest.mp4"),
          arguments: OddSigner.allCases)
    func oddSigner(kind: OddSigner) throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let rootKey = try PrivateKey.generate(.ecP256)
        let ca = [("basicConstraints", "critical,CA:TRUE"), ("keyUsage", "critical,keyCertSign,cRLSign"),
                  ("subjectKeyIdentifier", "hash"), ("authorityKeyIdentifier", "keyid:always")]
        let root = try Certificate.issue(CertificateTemplate(subject: [("CN", "Odd Test Root")], extensions: ca, validityDays: 3650),
                                         subjectKey: rootKey, issuer: nil)
        let leafKey = try PrivateKey.generate(.ecP256)
        let template = CertificateTemplate(subject: [("CN", "Odd Signer \(kind.rawValue)")], extensions: kind.leafExtensions,
                                           validityDays: 10, notBeforeOffset: kind == .expired ? -30 * 86_400 : -300)
        let leaf = try Certificate.issue(template, subjectKey: leafKey, issuer: kind == .selfSignedLeaf ? nil : (root, rootKey))
        let identity = try SigningIdentity(privateKeyPEM: try leafKey.pkcs8PEM(), certificateChainPEM: leaf.pem)
        let output = dir.appendingPathComponent("odd.mp4")
        try ManifestEmbedder.embed(input: TestSupport.noManifestVideo, output: output, request: Self.request, identity: identity)
        let anchors = dir.appendingPathComponent("root.pem")
        try Data(root.pem.utf8).write(to: anchors)
        try Self.expectSame(output, anchors: anchors)
        if kind == .expired {
            let report = ManifestValidator(trustAnchorsPEM: root.pem).validate(file: output)
            #expect(report.statusCodes.contains("signingCredential.expired"), "\(report)")
        }
    }
}
