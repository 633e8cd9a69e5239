import Foundation
@testable import HallmarkC2PA
@testable import HallmarkCrypto
import Testing

/// Hostile bytes for the parsers of untrusted input: the arithmetic of finding F11 (each case
/// trapped before its fix) and the crashers the fuzz targets in Fuzz/ found, kept as regression
/// tests with their bytes inline. Fast: no media, no processes.
@Suite
struct ParserHardeningTests {
    static func box(_ type: String, _ payload: [UInt8]) -> [UInt8] { JUMBF.contentBox(type: type, payload: payload) }

    /// ftyp, a small moov, and an mdat whose payload past its first 16 bytes is `blocks` long.
    static func mdatFile(blocks: Int) -> [UInt8] {
        box("ftyp", Array("isom".utf8) + [0, 0, 2, 0]) + box("moov", box("mvhd", [UInt8](repeating: 0, count: 16)))
            + box("mdat", [UInt8](repeating: 0xab, count: 8 + blocks))
    }

    static func write(_ bytes: [UInt8]) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("hardening-\(UUID().uuidString.prefix(8)).mp4")
        try Data(bytes).write(to: url)
        return url
    }

    /// A BMFF hash assertion holding one Merkle map with the given extra entries.
    static func merkleAssertion(count: Int, hashes: [[UInt8]], extra: [(String, CBOR)]) throws -> BMFFHashAssertion {
        let map = CBOR.textMap([("uniqueId", .int(1)), ("localId", .int(1)), ("count", .int(count)),
                                ("hashes", .array(hashes.map { .bytes($0) }))] + extra)
        let cbor = CBOR.textMap([("exclusions", .array(BMFFExclusion.defaults.map(\.cbor))), ("alg", .text("sha256")),
                                 ("merkle", .array([map]))])
        return try BMFFHashAssertion(cbor: cbor, label: "c2pa.hash.bmff.v3")
    }

    static func verify(_ assertion: BMFFHashAssertion, file: [UInt8]) throws -> Bool {
        let url = try write(file)
        defer { try? FileManager.default.removeItem(at: url) }
        return try BMFFVerifier.verify(assertion, asset: Asset(url: url, fragments: []))
    }

    @Test("FuzzCOSE: an untagged COSE_Sign1 at the depth limit still parses after re-encoding")
    func untaggedCOSERoundTripsAtTheDepthLimit() throws {
        // The unprotected header nests 14 arrays so the innermost integer sits at depth 16, the
        // decoder's limit. Re-encoding used to add tag 18, one level more, and the result no longer parsed.
        var nested = CBOR.int(1)
        for _ in 0..<14 { nested = .array([nested]) }
        let bytes = CBOR.array([.bytes([]), .map([CBORMapEntry(key: .int(7), value: nested)]), .null, .bytes([1, 2, 3])]).encoded()
        let sign1 = try COSESign1(bytes: bytes)
        #expect(!sign1.isTagged)
        #expect(sign1.encoded == bytes)
        #expect(throws: Never.self) { try COSESign1(bytes: sign1.encoded) }
        // One level deeper is refused, tagged or not.
        #expect(throws: C2PAError.self) { try COSESign1(bytes: CBOR.array([.bytes([]), .map([CBORMapEntry(key: .int(7), value: .array([nested]))]), .null, .bytes([])]).encoded()) }
    }

    @Test("F11: a fixed Merkle block size near 2^64 does not overflow the leaf count")
    func hugeFixedBlockSize() throws {
        let file = Self.mdatFile(blocks: 40)
        let leaf = HashAlgorithm.sha256.hash([UInt8](repeating: 0xab, count: 40))
        // `payload + fixed - 1` trapped here; rounded up by division, the one block is the payload.
        let assertion = try Self.merkleAssertion(count: 1, hashes: [leaf], extra: [("fixedBlockSize", .unsigned(UInt64.max))])
        #expect(try Self.verify(assertion, file: file))
        let wrong = try Self.merkleAssertion(count: 1, hashes: [leaf], extra: [("fixedBlockSize", .unsigned(UInt64.max - 1))])
        #expect(try Self.verify(wrong, file: Self.mdatFile(blocks: 41)) == false)
    }

    @Test("F11: variable Merkle block sizes that wrap around 2^64 are malformed, not a match")
    func wrappingVariableBlockSizes() throws {
        let file = Self.mdatFile(blocks: 40)
        // UInt64.max + 41 wraps to 40, the payload size: with `&+` this passed, no block was ever
        // completed, and the loop over the (zero) leaves accepted the stored hashes unchecked.
        let bogus = [UInt8](repeating: 0, count: 32)
        let assertion = try Self.merkleAssertion(count: 2, hashes: [bogus, bogus],
                                                 extra: [("variableBlockSizes", .array([.unsigned(UInt64.max), .unsigned(41)]))])
        #expect(throws: C2PAError(.manifest, "the Merkle variableBlockSizes add up to more than 2^64 bytes")) {
            try Self.verify(assertion, file: file)
        }
        #expect(MerkleVerifier.checkedSum([UInt64.max, 1]) == nil)
        #expect(MerkleVerifier.checkedSum([UInt64.max - 1, 1]) == UInt64.max)
    }

    @Test("F11: a Merkle tree whose blocks are not all hashed does not verify (empty mdat, zero-size blocks)")
    func unhashedBlocks() throws {
        let bogus = [UInt8](repeating: 0, count: 32)
        let assertion = try Self.merkleAssertion(count: 2, hashes: [bogus, bogus], extra: [("variableBlockSizes", .array([.int(0), .int(0)]))])
        #expect(try Self.verify(assertion, file: Self.mdatFile(blocks: 0)) == false)
    }

    @Test("F11: a Merkle map claiming Int.max leaves is refused before a tree layout is sized by it")
    func hugeLeafCount() throws {
        // `layout(leaves: Int.max)` overflowed in `(current + 1) / 2` (reached from fragment files).
        #expect(throws: C2PAError.self) {
            try Self.merkleAssertion(count: Int.max, hashes: [[0]], extra: [("fixedBlockSize", .int(1024))])
        }
        #expect(throws: C2PAError.self) {
            try Self.merkleAssertion(count: MerkleVerifier.maxLeaves + 1, hashes: [[0]], extra: [])
        }
        #expect(throws: Never.self) { try Self.merkleAssertion(count: MerkleVerifier.maxLeaves, hashes: [[0]], extra: []) }
    }

    @Test("F11: validation times past 2^63 seconds (or NaN) are clamped, not a trap in time_t(...)")
    func hugeTimes() throws {
        #expect(Certificate.unixTime(Date(timeIntervalSince1970: 1e19)) == time_t.max)
        #expect(Certificate.unixTime(Date(timeIntervalSince1970: -1e19)) == time_t.min)
        #expect(Certificate.unixTime(Date(timeIntervalSince1970: .nan)) == 0)
        #expect(Certificate.unixTime(Date(timeIntervalSince1970: 1_700_000_000.9)) == 1_700_000_000)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hardening-pki-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: directory) }
        try DevelopmentPKI.create(in: directory)
        let root = try #require(try Certificate.parsePEM(String(contentsOf: DevelopmentPKI.rootCertificateURL(in: directory), encoding: .utf8)).first)
        #expect(Certificate.verifyChain(leaf: root, intermediates: [], anchors: [root], at: Date(timeIntervalSince1970: 1e19)) != .trusted)
        var validator = ManifestValidator(trustAnchorsPEM: root.pem, timeStampAnchorsPEM: nil)
        validator.validationTime = Date(timeIntervalSince1970: 1e300)
        let identity = try DevelopmentPKI.signingIdentity(in: directory)
        let input = try Self.write(Self.mdatFile(blocks: 64))
        let output = input.deletingPathExtension().appendingPathExtension("signed.mp4")
        defer { try? FileManager.default.removeItem(at: input); try? FileManager.default.removeItem(at: output) }
        try ManifestEmbedder.embed(input: input, output: output, request: ManifestRequest(generatorName: "t", generatorVersion: "1"),
                                   identity: identity)
        let report = validator.validate(file: output)
        #expect(report.statusCodes.contains(StatusCode.signingCredentialExpired))
    }
}
