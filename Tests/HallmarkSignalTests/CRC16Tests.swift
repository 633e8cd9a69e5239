import Testing
import HallmarkSignal

@Suite struct CRC16Tests {
    static func bitsMSBFirst(_ bytes: [UInt8]) -> [UInt8] {
        bytes.flatMap { byte in (0..<8).map { (byte >> (7 - $0)) & 1 } }
    }

    @Test func checkValue() {
        #expect(CRC16.ccitt(bytes: Array("123456789".utf8)) == 0x29B1)
        #expect(CRC16.ccitt(bits: Self.bitsMSBFirst(Array("123456789".utf8))) == 0x29B1)
    }

    @Test func emptyInputIsInitialValue() {
        #expect(CRC16.ccitt(bytes: []) == 0xFFFF)
        #expect(CRC16.ccitt(bits: []) == 0xFFFF)
    }

    @Test func bitAndByteFormsAgree() {
        var random = KeyedRandom(key: [UInt8](repeating: 7, count: 32), domain: "crc")
        for length in 0..<40 {
            let bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            #expect(CRC16.ccitt(bits: Self.bitsMSBFirst(bytes)) == CRC16.ccitt(bytes: bytes))
        }
    }

    @Test func detectsEverySingleBitError() {
        let bits = Self.bitsMSBFirst(Array("Hallmark payload".utf8)).prefix(70).map { $0 }
        let reference = CRC16.ccitt(bits: bits)
        for i in bits.indices {
            var corrupted = bits
            corrupted[i] ^= 1
            #expect(CRC16.ccitt(bits: corrupted) != reference)
        }
    }
}
