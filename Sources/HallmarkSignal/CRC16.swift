/// CRC-16/CCITT-FALSE: polynomial 0x1021, initial value 0xFFFF, no reflection, no final XOR.
/// Check value for the ASCII bytes "123456789" is 0x29B1.
public enum CRC16 {
    private static let polynomial: UInt16 = 0x1021
    private static let initialValue: UInt16 = 0xFFFF

    /// CRC over a bit array (each element 0 or 1), first element = first (most significant) bit fed in.
    /// For a whole number of bytes this equals `ccitt(bytes:)` of the same bits packed MSB-first.
    public static func ccitt(bits: [UInt8]) -> UInt16 {
        var crc = initialValue
        for bit in bits {
            precondition(bit <= 1, "CRC16.ccitt(bits:) expects 0/1 elements")
            let feedback = (crc >> 15) ^ UInt16(bit)
            crc <<= 1
            if feedback & 1 != 0 { crc ^= polynomial }
        }
        return crc
    }

    public static func ccitt(bytes: [UInt8]) -> UInt16 {
        var crc = initialValue
        for byte in bytes {
            crc ^= UInt16(byte) << 8
            for _ in 0..<8 {
                crc = crc & 0x8000 != 0 ? (crc << 1) ^ polynomial : crc << 1
            }
        }
        return crc
    }
}
