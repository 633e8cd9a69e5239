import Foundation
@testable import HallmarkC2PA
import HallmarkCrypto
import Testing

/// Stamping and validating our own files, and the tampering the validator must name.
@Suite("Embed and validate", .serialized)
struct EmbedValidateTests {
    struct Stamped {
        let dir: URL
        let keys: URL
        let output: URL
        let store: [UInt8]
        var anchorsPEM: String { (try? String(contentsOf: DevelopmentPKI.rootCertificateURL(in: keys), encoding: .utf8)) ?? "" }
        var validator: ManifestValidator { ManifestValidator(trustAnchorsPEM: anchorsPEM) }
    }

    static let request = ManifestRequest(generatorName: "Hallmark", generatorVersion: "0.1.0", title: "clip",
                                         softBindingMarkId: 0x0123_4567_89ab_cdef, model: "test-model",
                                         clipLabel: "clip-1")

    static func stamp(_ input: URL, algorithm: SigningAlgorithm = .es256) throws -> Stamped {
        let dir = try TestSupport.temporaryDirectory()
        let keys = dir.appendingPathComponent("keys")
        try DevelopmentPKI.create(in: keys, algorithm: algorithm)
        let output = dir.appendingPathComponent("stamped.mp4")
        let store = try ManifestEmbedder.embed(input: input, output: output, request: request,
                                               identity: try DevelopmentPKI.signingIdentity(in: keys))
        return Stamped(dir: dir, keys: keys, output: output, store: store)
    }

    @Test("a stamped file is Trusted with its root, Valid without, and reports what it holds",
          .enabled(if: TestSupport.hasNoManifestVideo, "needs ../shared/c2pa-fixtures/video1_no_manifest.mp4"),
          arguments: SigningAlgorithm.allCases)
    func roundTrip(algorithm: SigningAlgorithm) throws {
        let stamped = try Self.stamp(TestSupport.noManifestVideo, algorithm: algorithm)
        defer { try? FileManager.default.removeItem(at: stamped.dir) }
        let report = stamped.validator.validate(file: stamped.output)
        #expect(report.validationState == "Trusted", "\(report)")
        #expect(report.statusCodes.isEmpty)
        #expect(Set(report.successCodes ?? []).isSuperset(of: ["claimSignature.validated", "claimSignature.insideValidity",
                                                               "signingCredential.trusted", "assertion.hashedURI.match",
                                                               "assertion.bmffHash.match"]))
        #expect(report.assertions == ["c2pa.actions.v2", "c2pa.hash.bmff.v3", "c2pa.soft-binding", "io.hallmark.generation"])
        #expect(report.softBindings == [SoftBindingValue(alg: "io.hallmark.spectral.v1", valueHex: "0123456789abcdef")])
        #expect(report.signer == "Hallmark Development Signer, Hallmark (development)")
        #expect(report.activeManifest?.hasPrefix("urn:c2pa:") == true)
        #expect(report.signedAt == nil)

        let untrusted = ManifestValidator(trustAnchorsPEM: nil).validate(file: stamped.output)
        #expect(untrusted.validationState == "Valid")
        #expect(untrusted.statusCodes == ["signingCredential.untrusted"])

        // The store given as bytes validates against the same file.
        let given = stamped.validator.validate(manifestStore: stamped.store, assetFile: stamped.output)
        #expect(given.validationState == "Trusted", "\(given)")
        // Without an asset the hard binding is left unchecked, and said so.
        let alone = stamped.validator.validate(manifestStore: stamped.store, assetFile: nil)
        #expect(alone.statusCodes == ["assertion.hardBinding.unchecked"])
        #expect(alone.successCodes?.contains("claimSignature.validated") == true)
    }

    @Test("the output plays, the input is untouched, no temporary file is left",
          .enabled(if: TestSupport.ffmpeg != nil, "needs the ffmpeg CLI"))
    func tinyFFmpegClip() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let input = try #require(try TestSupport.makeTinyMP4(in: dir))
        let before = try Data(contentsOf: input)
        let stamped = try Self.stamp(input)
        defer { try? FileManager.default.removeItem(at: stamped.dir) }
        #expect(try Data(contentsOf: input) == before)
        #expect(stamped.validator.validate(file: stamped.output).validationState == "Trusted")
        // Chunk offsets were patched: ffmpeg decodes every frame without error.
        let log = try TestSupport.run(TestSupport.ffmpeg!, ["-v", "error", "-i", stamped.output.path, "-f", "null", "-"])
        #expect(log.isEmpty)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: stamped.dir.path).filter { $0.hasSuffix(".tmp") }
        #expect(leftovers.isEmpty)
        // Layout: ftyp, our uuid box, then the rest.
        let boxes = try BMFFParser.parse(FileByteSource(url: stamped.output), descend: false)
        #expect(boxes.prefix(3).map(\.type) == ["ftyp", "uuid", "moov"])
        #expect(boxes[1].userType == BMFFParser.c2paUUID)
    }

    @Test("refuses to overwrite its input, and files already signed",
          .enabled(if: TestSupport.hasNoManifestVideo, "needs ../shared/c2pa-fixtures/video1_no_manifest.mp4"))
    func refusals() throws {
        let stamped = try Self.stamp(TestSupport.noManifestVideo)
        defer { try? FileManager.default.removeItem(at: stamped.dir) }
        let identity = try DevelopmentPKI.signingIdentity(in: stamped.keys)
        #expect(throws: C2PAError.self) {
            try ManifestEmbedder.embed(input: stamped.output, output: stamped.output, request: Self.request, identity: identity)
        }
        #expect(throws: C2PAError.self) {
            try ManifestEmbedder.embed(input: stamped.output, output: stamped.dir.appendingPathComponent("again.mp4"),
                                       request: Self.request, identity: identity)
        }
        let notMP4 = stamped.dir.appendingPathComponent("text.mp4")
        try Data("hello world, not a video".utf8).write(to: notMP4)
        #expect(throws: C2PAError.self) {
            try ManifestEmbedder.embed(input: notMP4, output: stamped.dir.appendingPathComponent("x.mp4"), request: Self.request, identity: identity)
        }
    }

    @Test("tampering is caught and named", .enabled(if: TestSupport.hasNoManifestVideo, "needs ../shared/c2pa-fixtures/video1_no_manifest.mp4"))
    func tampering() throws {
        let stamped = try Self.stamp(TestSupport.noManifestVideo)
        defer { try? FileManager.default.removeItem(at: stamped.dir) }
        let validator = stamped.validator
        let bytes = try Data(contentsOf: stamped.output)

        // 1. An edited media byte.
        let media = stamped.dir.appendingPathComponent("media.mp4")
        try bytes.write(to: media)
        try TestSupport.flipByte(media, at: UInt64(bytes.count - 1000))
        let r1 = validator.validate(file: media)
        #expect(r1.validationState == "Invalid")
        #expect(r1.statusCodes == ["assertion.bmffHash.mismatch"], "\(r1)")

        // 2. An edited assertion (the clip label inside io.hallmark.generation).
        let edited = stamped.dir.appendingPathComponent("assertion.mp4")
        var data = [UInt8](bytes)
        let needle = Array("clip-1".utf8)
        let at = try #require((0..<(data.count - needle.count)).first { Array(data[$0..<($0 + needle.count)]) == needle })
        data[at + 5] = UInt8(ascii: "2")
        try Data(data).write(to: edited)
        let r2 = validator.validate(file: edited)
        #expect(r2.validationState == "Invalid")
        #expect(r2.statusCodes == ["assertion.hashedURI.mismatch"], "\(r2)")

        // 3. A manifest transplanted from another clip: this store, another file (other media).
        let otherClip = stamped.dir.appendingPathComponent("other-input.mp4")
        try FileManager.default.copyItem(at: TestSupport.noManifestVideo, to: otherClip)
        try TestSupport.flipByte(otherClip, at: 100_000)
        let other = try Self.stamp(otherClip)
        defer { try? FileManager.default.removeItem(at: other.dir) }
        let r3 = validator.validate(manifestStore: stamped.store, assetFile: other.output)
        #expect(r3.validationState == "Invalid")
        #expect(r3.statusCodes == ["assertion.bmffHash.mismatch"], "\(r3)")
        // ... and as a sidecar next to the unsigned original.
        let clip = stamped.dir.appendingPathComponent("clip.mp4")
        try FileManager.default.copyItem(at: TestSupport.noManifestVideo, to: clip)
        try Data(stamped.store).write(to: stamped.dir.appendingPathComponent("clip.c2pa"))
        let r3b = validator.validate(file: clip)
        #expect(r3b.source == "sidecar")
        #expect(r3b.statusCodes == ["assertion.bmffHash.mismatch"], "\(r3b)")

        // 4. The chain swapped for another signer's.
        let otherChain = try DevelopmentPKI.signingIdentity(in: other.keys).chain.map { CBOR.bytes($0.der) }
        let swapped = try Self.rewriteSignature(stamped.store) { sign1 in
            var header = sign1.protectedHeader.mapValue ?? []
            header.removeAll { $0.key == .int(33) }
            header.append(CBORMapEntry(key: .int(33), value: .array(otherChain)))
            return CBOR.tagged(18, .array([.bytes(CBOR.map(header).encoded()), sign1.unprotectedHeader, .null, .bytes(sign1.signature)])).encoded()
        }
        let r4 = ManifestValidator(trustAnchorsPEM: stamped.anchorsPEM + other.anchorsPEM)
            .validate(manifestStore: swapped, assetFile: stamped.output)
        #expect(r4.validationState == "Invalid")
        #expect(r4.statusCodes == ["claimSignature.mismatch"], "\(r4)")
    }

    /// Ways to break a COSE_Sign1, and the code each must give.
    enum HostileSignature: String, CaseIterable, Sendable {
        case notAnArray, threeElements, wrongTag, garbageCBOR, unknownAlgorithm, certificateGarbage, noChain

        var code: String {
            switch self {
            case .unknownAlgorithm: return "algorithm.unsupported"
            case .certificateGarbage, .noChain: return "signingCredential.invalid"
            default: return "claimSignature.mismatch"
            }
        }

        func rewrite(_ s: COSESign1) -> [UInt8] {
            func sign1(_ protected: [CBORMapEntry]) -> [UInt8] {
                CBOR.tagged(18, .array([.bytes(CBOR.map(protected).encoded()), .map([]), .null, .bytes(s.signature)])).encoded()
            }
            switch self {
            case .notAnArray: return CBOR.tagged(18, .text("nope")).encoded()
            case .threeElements: return CBOR.tagged(18, .array([.bytes(s.protectedBytes), .map([]), .null])).encoded()
            case .wrongTag: return CBOR.tagged(17, .array([.bytes(s.protectedBytes), .map([]), .null, .bytes(s.signature)])).encoded()
            case .garbageCBOR: return [0xd2, 0x9f, 0x5b, 0xff, 0xff]
            case .unknownAlgorithm:
                return sign1([CBORMapEntry(key: .int(1), value: .int(-999)), CBORMapEntry(key: .int(33), value: s.protectedHeader[33]!)])
            case .certificateGarbage:
                return sign1([CBORMapEntry(key: .int(1), value: .int(-7)),
                              CBORMapEntry(key: .int(33), value: .array([.bytes([0x30, 0x82, 0xff, 0xff, 1, 2, 3])]))])
            case .noChain: return sign1([CBORMapEntry(key: .int(1), value: .int(-7))])
            }
        }
    }

    @Test("a COSE structure of the wrong shape, or certificates that do not parse, give Invalid with a code",
          .enabled(if: TestSupport.hasNoManifestVideo, "needs ../shared/c2pa-fixtures/video1_no_manifest.mp4"),
          arguments: HostileSignature.allCases)
    func hostileSignatures(kind: HostileSignature) throws {
        let stamped = try Self.stamp(TestSupport.noManifestVideo)
        defer { try? FileManager.default.removeItem(at: stamped.dir) }
        let store = try Self.rewriteSignature(stamped.store) { kind.rewrite($0) }
        let report = stamped.validator.validate(manifestStore: store, assetFile: stamped.output)
        #expect(report.validationState == "Invalid", "\(kind): \(report)")
        #expect(report.statusCodes.contains(kind.code), "\(kind): \(report)")
    }

    @Test("hostile manifest stores give a clear Invalid report")
    func hostileStores() {
        let validator = ManifestValidator(trustAnchorsPEM: nil)
        for store: [UInt8] in [[], [0, 0, 0, 8] + Array("jumb".utf8), [0xff, 0xff, 0xff, 0xff] + Array("jumb".utf8) + [1, 2],
                               JUMBF.superbox(typeCode: "c2pa", label: "c2pa", children: [])] {
            let report = validator.validate(manifestStore: store, assetFile: nil)
            #expect(report.present && report.validationState == "Invalid" && !report.statusCodes.isEmpty, "\(report)")
        }
    }

    @Test("hostile files: sizes past the end, garbage in the manifest box, a huge JUMBF length")
    func hostileFiles() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let validator = ManifestValidator(trustAnchorsPEM: nil)
        let ftyp = JUMBF.contentBox(type: "ftyp", payload: Array("isom".utf8) + [0, 0, 0, 0])

        let pastEnd = dir.appendingPathComponent("past-end.mp4")
        try Data(ftyp + [0x7f, 0xff, 0xff, 0xff] + Array("mdat".utf8) + [1, 2, 3]).write(to: pastEnd)
        let r1 = validator.validate(file: pastEnd)
        #expect(!r1.present && r1.validationState == nil)
        #expect(r1.error?.contains("claims") == true, "\(r1)")

        for (name, store) in [("garbage", [UInt8](repeating: 0xab, count: 64)),
                              ("huge-jumbf", [0x00, 0x00, 0x00, 0x01] + Array("jumb".utf8) + [0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff] + [UInt8](repeating: 0, count: 32))] {
            let url = dir.appendingPathComponent("\(name).mp4")
            let box = ManifestEmbedder.manifestBoxHeader(size: ManifestEmbedder.manifestBoxHeaderSize + store.count) + store
            try Data(ftyp + box + JUMBF.contentBox(type: "mdat", payload: [1, 2, 3])).write(to: url)
            let report = validator.validate(file: url)
            #expect(report.present && report.validationState == "Invalid" && report.error != nil, "\(name): \(report)")
        }
    }

    /// The store with its signature box's COSE replaced.
    static func rewriteSignature(_ store: [UInt8], _ rewrite: (COSESign1) throws -> [UInt8]) throws -> [UInt8] {
        let root = try JUMBF.parse(store)
        let manifest = try #require(root.children.last)
        let signatureBox = try #require(manifest.children.first { $0.label == "c2pa.signature" })
        let content = try #require(signatureBox.content(ofType: "cbor"))
        let newCOSE = try rewrite(try COSESign1(bytes: Array(store[content.contentRange])))
        let newSignatureBox = JUMBF.superbox(typeCode: "c2cs", label: "c2pa.signature", children: [JUMBF.contentBox(type: "cbor", payload: newCOSE)])
        var children: [[UInt8]] = []
        for child in manifest.children { children.append(child.label == "c2pa.signature" ? newSignatureBox : Array(store[child.range])) }
        let newManifest = JUMBF.superbox(typeCode: "c2ma", label: manifest.label!, children: children)
        return JUMBF.superbox(typeCode: "c2pa", label: "c2pa", children: [newManifest])
    }
}
