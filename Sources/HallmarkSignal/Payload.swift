/// The 64-bit mark id plus its CRC-16, as the bits the channel code protects.
public enum Payload {
    public static let idBits = 64
    public static let crcBits = 16
    public static let informationBits = idBits + crcBits

    /// Most significant bit first, then the CRC of those 64 bits.
    public static func bits(markId: UInt64) -> [UInt8] {
        var bits = (0..<idBits).map { UInt8((markId >> UInt64(idBits - 1 - $0)) & 1) }
        let crc = CRC16.ccitt(bits: bits)
        bits += (0..<crcBits).map { UInt8((crc >> UInt16(crcBits - 1 - $0)) & 1) }
        return bits
    }

    /// The mark id in `bits` (whether or not its CRC holds) and whether the CRC holds.
    public static func decode(_ bits: [UInt8]) -> (markId: UInt64, crcValid: Bool) {
        precondition(bits.count == informationBits)
        var id: UInt64 = 0
        for bit in bits[0..<idBits] { id = (id << 1) | UInt64(bit & 1) }
        var crc: UInt16 = 0
        for bit in bits[idBits...] { crc = (crc << 1) | UInt16(bit & 1) }
        return (id, CRC16.ccitt(bits: Array(bits[0..<idBits])) == crc)
    }
}
