import HallmarkC2PA
import Testing

@Suite("CBOR")
struct CBORTests {
    @Test("encodes RFC 8949 examples in the shortest form",
          arguments: [
            (CBOR.unsigned(0), "00"), (.unsigned(23), "17"), (.unsigned(24), "1818"), (.unsigned(1000), "1903e8"),
            (.unsigned(1_000_000), "1a000f4240"), (.unsigned(1_000_000_000_000), "1b000000e8d4a51000"),
            (.int(-1), "20"), (.int(-1000), "3903e7"), (.bytes([]), "40"), (.text("a"), "6161"),
            (.text("\u{00fc}"), "62c3bc"), (.bool(false), "f4"), (.null, "f6"),
            (.array([.unsigned(1), .array([.unsigned(2), .unsigned(3)])]), "8201820203"),
            (.tagged(18, .array([])), "d280"),
          ])
    func encodes(item: CBOR, hex: String) throws {
        #expect(item.encoded().hexString == hex)
        #expect(try CBORDecoder.decode(item.encoded()) == item)
    }

    @Test("sorts map keys bytewise by their encoding")
    func deterministicMaps() {
        let map = CBOR.map([CBORMapEntry(key: .text("b"), value: .unsigned(1)),
                            CBORMapEntry(key: .int(33), value: .unsigned(2)),
                            CBORMapEntry(key: .int(1), value: .unsigned(3)),
                            CBORMapEntry(key: .text("aa"), value: .unsigned(4))])
        // 01 < 18 21 < 61 62 < 62 61 61
        #expect(map.encoded().hexString == "a40103182102616201626161" + "04")
        #expect(map.encoded(sortKeys: false).hexString == "a461620118210201036261610" + "4")
    }

    @Test("decodes indefinite lengths and floats")
    func indefinite() throws {
        #expect(try CBORDecoder.decode([0x9f, 0x01, 0x02, 0xff]) == .array([.unsigned(1), .unsigned(2)]))
        #expect(try CBORDecoder.decode([0x5f, 0x41, 0xaa, 0x41, 0xbb, 0xff]) == .bytes([0xaa, 0xbb]))
        #expect(try CBORDecoder.decode([0xf9, 0x3c, 0x00]) == .float(1.0))
        #expect(try CBORDecoder.decode([0xfb, 0x3f, 0xf1, 0x99, 0x99, 0x99, 0x99, 0x99, 0x9a]) == .float(1.1))
    }

    @Test("rejects hostile input without allocating from untrusted lengths",
          arguments: [
            [0x5b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff] as [UInt8],   // 2^64-1 byte string
            [0x7a, 0x7f, 0xff, 0xff, 0xff, 0x61],                                 // 2 GiB text string
            [0x9b, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00],                  // 2^32 array items
            [0xbb, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],                  // huge map
            [0x9f, 0x01],                                                            // unterminated
            [0x62, 0xff, 0xfe],                                                      // invalid UTF-8
            [0x1c],                                                                  // reserved info
            [0xff],                                                                  // stray break
            [0x01, 0x02],                                                            // trailing byte
            [],
          ])
    func hostile(bytes: [UInt8]) {
        #expect(throws: C2PAError.self) { try CBORDecoder.decode(bytes) }
    }

    @Test("caps nesting depth")
    func deepNesting() {
        let deep = [UInt8](repeating: 0x81, count: 100_000) + [0x00]
        #expect(throws: C2PAError.self) { try CBORDecoder.decode(deep) }
        let tags = [UInt8](repeating: 0xc1, count: 100_000) + [0x00]
        #expect(throws: C2PAError.self) { try CBORDecoder.decode(tags) }
        let fine = [UInt8](repeating: 0x81, count: 10) + [0x00]
        #expect((try? CBORDecoder.decode(fine)) != nil)
    }
}
