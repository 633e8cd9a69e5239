import Foundation
@testable import HallmarkC2PA
import Testing

@Suite("JUMBF and BMFF boxes")
struct JUMBFAndBMFFTests {
    @Test("JUMBF superboxes round-trip")
    func jumbfRoundTrip() throws {
        let assertion = JUMBF.superbox(typeCode: "cbor", label: "c2pa.actions.v2", salt: [UInt8](repeating: 7, count: 16),
                                       children: [JUMBF.contentBox(type: "cbor", payload: [0xa0])])
        let store = JUMBF.superbox(typeCode: "c2pa", label: "c2pa", children: [
            JUMBF.superbox(typeCode: "c2ma", label: "urn:c2pa:test", children: [
                JUMBF.superbox(typeCode: "c2as", label: "c2pa.assertions", children: [assertion]),
            ]),
        ])
        let root = try JUMBF.parse(store + [0, 0, 0, 0, 0, 0]) // trailing padding is ignored
        #expect(root.description?.typeCode == "c2pa")
        let manifest = try #require(root.child(labeled: "urn:c2pa:test"))
        #expect(manifest.description?.typeCode == "c2ma")
        let box = try #require(manifest.child(labeled: "c2pa.assertions")?.child(labeled: "c2pa.actions.v2"))
        #expect(box.description?.toggles == 0x13)
        let content = try #require(box.content(ofType: "cbor"))
        #expect(Array(store[content.contentRange]) == [0xa0])
        #expect(Array(store[box.contentRange]) == Array(assertion[8...]))
    }

    @Test("JUMBF sizes past the end, missing descriptions and deep nesting are rejected")
    func jumbfHostile() {
        var tooLong = JUMBF.superbox(typeCode: "c2pa", label: "c2pa", children: [])
        tooLong[3] = 0xff
        #expect(throws: C2PAError.self) { try JUMBF.parse(tooLong) }
        #expect(throws: C2PAError.self) { try JUMBF.parse(JUMBF.contentBox(type: "jumb", payload: [1, 2, 3])) }
        #expect(throws: C2PAError.self) { try JUMBF.parse([0x00, 0x00, 0x00, 0x01, 0x6a, 0x75, 0x6d, 0x62] + [UInt8](repeating: 0xff, count: 8)) }
        var nested = JUMBF.superbox(typeCode: "c2pa", label: "x", children: [])
        for _ in 0..<100 { nested = JUMBF.superbox(typeCode: "c2pa", label: "x", children: [nested]) }
        #expect(throws: C2PAError.self) { try JUMBF.parse(nested) }
    }

    static func box(_ type: String, _ payload: [UInt8]) -> [UInt8] { JUMBF.contentBox(type: type, payload: payload) }

    @Test("the walker finds nested boxes and selects xpaths")
    func walker() throws {
        let stco = Self.box("stco", [0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 100])
        let trak = Self.box("trak", Self.box("mdia", Self.box("minf", Self.box("stbl", stco))))
        let file = Self.box("ftyp", Array("isom".utf8) + [0, 0, 0, 0]) + Self.box("moov", trak + trak) + Self.box("mdat", [1, 2, 3])
        let boxes = try BMFFParser.parse(MemoryByteSource(file))
        #expect(boxes.map(\.type) == ["ftyp", "moov", "mdat"])
        #expect(BMFFParser.select("/moov/trak/mdia/minf/stbl/stco", in: boxes).count == 2)
        #expect(BMFFParser.select("/moov/trak[2]/mdia", in: boxes).count == 1)
        #expect(BMFFParser.select("/moov/trak[3]/mdia", in: boxes).isEmpty)
        #expect(BMFFParser.select("/moov/trak[0]", in: boxes).isEmpty)
        #expect(BMFFParser.select("/mdat", in: boxes).first?.size == 11)
    }

    @Test("boxes nested 1000 deep are refused, in bounded time")
    func nestedBoxes() {
        var inner = Self.box("free", [])
        for _ in 0..<1000 { inner = Self.box("moov", inner) }
        let file = Self.box("ftyp", Array("isom".utf8) + [0, 0, 0, 0]) + inner
        #expect {
            try BMFFParser.parse(MemoryByteSource(file))
        } throws: { error in
            (error as? C2PAError)?.code == .limit
        }
    }

    @Test("box sizes past the end of the file are refused", arguments: [
        [0x00, 0x00, 0x10, 0x00] + Array("mdat".utf8),                               // 4096 bytes claimed
        [0x00, 0x00, 0x00, 0x01] + Array("mdat".utf8) + [0xff, 0, 0, 0, 0, 0, 0, 0], // 64-bit size
        [0x00, 0x00, 0x00, 0x04] + Array("mdat".utf8),                               // smaller than a header
        [0x00, 0x00, 0x00, 0x10] + Array("moov".utf8) + [0x00, 0x00, 0x00, 0xff] + Array("trak".utf8), // child too big
        [0x00, 0x00, 0x00, 0x10] + Array("uuid".utf8) + [1, 2, 3, 4, 5, 6, 7, 8],    // uuid without its type
    ] as [[UInt8]])
    func truncated(tail: [UInt8]) {
        let file = Self.box("ftyp", Array("isom".utf8) + [0, 0, 0, 0]) + tail
        #expect(throws: C2PAError.self) { try BMFFParser.parse(MemoryByteSource(file)) }
    }

    @Test("hash plan: offsets of top-level boxes are hashed before their bytes (v2+), excluded boxes skipped")
    func hashPlan() throws {
        let ftyp = Self.box("ftyp", Array("isom".utf8) + [0, 0, 0, 0])
        let uuid = JUMBF.header(size: 8 + 16 + 4, type: "uuid") + BMFFParser.c2paUUID + [0, 0, 0, 0]
        let free = Self.box("free", [9, 9])
        let mdat = Self.box("mdat", [1, 2, 3])
        let file = ftyp + uuid + free + mdat
        let boxes = try BMFFParser.parse(MemoryByteSource(file))
        let plan = try BMFFHashPlan(exclusions: BMFFExclusion.defaults, version: 3, boxes: boxes, fileLength: UInt64(file.count)) {
            Array(file[Int($0)..<(Int($0) + $1)])
        }
        let mdatOffset = UInt64(ftyp.count + uuid.count + free.count)
        #expect(plan.steps == [.offset(mdatOffset), .bytes(mdatOffset..<UInt64(file.count))])
        let v1 = try BMFFHashPlan(exclusions: BMFFExclusion.defaults, version: 1, boxes: boxes, fileLength: UInt64(file.count)) {
            Array(file[Int($0)..<(Int($0) + $1)])
        }
        #expect(v1.steps == [.bytes(mdatOffset..<UInt64(file.count))])
    }

    @Test("Merkle proofs replay to the stored row")
    func merkle() {
        let alg = HashAlgorithmProxy.sha256
        let leaves = (0..<5).map { alg([UInt8($0)]) }
        // Rows: 5 -> 3 -> 2 -> 1 (odd last node promoted).
        let row1 = [alg(leaves[0] + leaves[1]), alg(leaves[2] + leaves[3]), leaves[4]]
        let row2 = [alg(row1[0] + row1[1]), row1[2]]
        let root = alg(row2[0] + row2[1])
        #expect(MerkleVerifier.layout(leaves: 5) == [5, 3, 2, 1])
        var map = BMFFMerkleMap.testMap(count: 5, hashes: [root])
        #expect(MerkleVerifier.check(map, algorithm: .sha256, leaf: leaves[2], location: 2, proof: [leaves[3], row1[0], row2[1]]))
        #expect(MerkleVerifier.check(map, algorithm: .sha256, leaf: leaves[4], location: 4, proof: [row2[0]]))
        #expect(!MerkleVerifier.check(map, algorithm: .sha256, leaf: leaves[1], location: 2, proof: [leaves[3], row1[0], row2[1]]))
        #expect(!MerkleVerifier.check(map, algorithm: .sha256, leaf: leaves[2], location: 9, proof: []))
        // Stored leaf row: no proof needed.
        map = BMFFMerkleMap.testMap(count: 5, hashes: leaves)
        #expect(MerkleVerifier.check(map, algorithm: .sha256, leaf: leaves[3], location: 3, proof: nil))
    }
}

import HallmarkCrypto

enum HashAlgorithmProxy {
    static func sha256(_ bytes: [UInt8]) -> [UInt8] { HashAlgorithm.sha256.hash(bytes) }
}

extension BMFFMerkleMap {
    static func testMap(count: Int, hashes: [[UInt8]]) -> BMFFMerkleMap {
        try! BMFFMerkleMap(cbor: .textMap([("uniqueId", .unsigned(0)), ("localId", .unsigned(0)), ("count", .unsigned(UInt64(count))),
                                            ("hashes", .array(hashes.map { .bytes($0) }))]))
    }
}
