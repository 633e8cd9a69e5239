/// The issued codebook, scored fast: a mark id's coded bits as a packed codeword, and the
/// correlation of many codewords with one detection's soft values.
///
/// A registry of N marks is N known codewords. Deciding which of them a clip carries needs far
/// less signal than decoding 80 bits blind: the right codeword's correlation with the soft values
/// grows with the whole data energy, while an unrelated codeword's is about N(0, 1) (see
/// `CodewordScorer`). Both steps here are table lookups, so a million candidates take
/// milliseconds: the encoder turns 8 input bits at a time into 24 coded bits, and the scorer
/// adds one precomputed partial sum per byte of the codeword.
public struct CodewordEncoder: Sendable {
    /// Bytes of a packed codeword: 258 coded bits.
    public static let byteCount = (WatermarkLayout.codedBits + 7) / 8

    /// For (state << 8 | input byte): the 24 coded bits (coded bit j of the byte at bit j) and,
    /// above them, the next state.
    private let step: [UInt32]
    /// For (state): the 18 coded bits of the six zero tail bits.
    private let tail: [UInt32]
    private let crcTable: [UInt16]

    public init() {
        let code = ConvolutionalCode()
        func run(_ inputs: [UInt8], from state: Int) -> (bits: UInt32, state: Int) {
            // The reference encoder from `state`: prepend the six inputs that lead to it and drop
            // their outputs (the state is the previous six inputs, most recent in bit 5).
            let history = (0..<6).map { UInt8((state >> $0) & 1) }
            let coded = code.encode(history + inputs).dropFirst(18).prefix(3 * inputs.count)
            var bits: UInt32 = 0
            for (j, bit) in coded.enumerated() where bit == 1 { bits |= 1 << UInt32(j) }
            var next = state
            for input in inputs { next = (Int(input) << 5) | (next >> 1) }
            return (bits, next)
        }
        var step = [UInt32](repeating: 0, count: 64 * 256)
        for state in 0..<64 {
            for byte in 0..<256 {
                let inputs = (0..<8).map { UInt8((byte >> (7 - $0)) & 1) }
                let (bits, next) = run(inputs, from: state)
                step[state << 8 | byte] = bits | UInt32(next) << 24
            }
        }
        self.step = step
        tail = (0..<64).map { run([UInt8](repeating: 0, count: ConvolutionalCode.tailBits), from: $0).bits }
        crcTable = (0..<256).map { byte in
            var crc = UInt16(byte) << 8
            for _ in 0..<8 { crc = crc & 0x8000 != 0 ? (crc << 1) ^ 0x1021 : crc << 1 }
            return crc
        }
    }

    /// The coded bits of `markId` (id then CRC-16, zero tail), coded bit k at bit k % 8 of byte
    /// k / 8, written to `out` (`byteCount` bytes).
    @inline(__always)
    public func encode(_ markId: UInt64, into out: UnsafeMutablePointer<UInt8>) {
        var crc: UInt16 = 0xFFFF
        var state = 0
        var position = 0
        @inline(__always) func emit(_ byte: Int) {
            let entry = step[state << 8 | byte]
            out[position] = UInt8(truncatingIfNeeded: entry)
            out[position + 1] = UInt8(truncatingIfNeeded: entry >> 8)
            out[position + 2] = UInt8(truncatingIfNeeded: entry >> 16)
            position += 3
            state = Int(entry >> 24)
        }
        for shift in stride(from: 56, through: 0, by: -8) {
            let byte = Int((markId >> UInt64(shift)) & 0xFF)
            crc = (crc << 8) ^ crcTable[Int(crc >> 8) ^ byte]
            emit(byte)
        }
        emit(Int(crc >> 8))
        emit(Int(crc & 0xFF))
        let tailBits = tail[state]  // 18 bits after the 240 of the 80 information bits
        out[position] = UInt8(truncatingIfNeeded: tailBits)
        out[position + 1] = UInt8(truncatingIfNeeded: tailBits >> 8)
        out[position + 2] = UInt8(truncatingIfNeeded: tailBits >> 16)
    }

    /// The codeword of `markId` as ±1 per coded bit (what `WatermarkLayout.tile` embeds).
    public func signs(_ markId: UInt64) -> [Float] {
        var packed = [UInt8](repeating: 0, count: Self.byteCount)
        packed.withUnsafeMutableBufferPointer { encode(markId, into: $0.baseAddress!) }
        return (0..<WatermarkLayout.codedBits).map { packed[$0 / 8] >> UInt8($0 % 8) & 1 == 1 ? 1 : -1 }
    }
}

/// Correlates candidate codewords with one set of coded-bit soft values.
///
/// The score of codeword c (±1 per coded bit) is `z = Σ soft_b c_b / ‖soft‖`. For a codeword
/// unrelated to the clip, its bits are fair coins independent of the soft values (every coded bit
/// is the XOR of a different subset of the id's bits), so z has mean 0 and variance exactly 1 and,
/// over 258 terms, is close to Gaussian; `CalibrationTests` measures how close. A signal in the
/// soft values only inflates ‖soft‖, which errs on the safe side.
public struct CodewordScorer: Sendable {
    /// partial[k * 256 + v]: Σ of soft_b over the bits b set in value v of codeword byte k.
    private let partial: [Float]
    private let total: Float
    private let norm: Float

    public init(soft: [Float]) {
        precondition(soft.count == WatermarkLayout.codedBits)
        let bytes = CodewordEncoder.byteCount
        var partial = [Float](repeating: 0, count: bytes * 256)
        for k in 0..<bytes {
            for value in 1..<256 {
                // Built from the value without its lowest set bit: one addition per entry.
                let low = value.trailingZeroBitCount
                let b = 8 * k + low
                partial[k * 256 + value] = partial[k * 256 + (value & (value - 1))] + (b < soft.count ? soft[b] : 0)
            }
        }
        self.partial = partial
        total = soft.reduce(0, +)
        norm = max(soft.reduce(0) { $0 + $1 * $1 }.squareRoot(), 1e-20)
    }

    /// z of one packed codeword.
    @inline(__always)
    public func z(packed: UnsafePointer<UInt8>) -> Float {
        var sum: Float = 0
        partial.withUnsafeBufferPointer { table in
            for k in 0..<CodewordEncoder.byteCount { sum += table[k &* 256 &+ Int(packed[k])] }
        }
        // Σ soft_b c_b = Σ_{c_b = +1} soft_b − Σ_{c_b = −1} soft_b = 2 Σ_{set bits} − total.
        return (2 * sum - total) / norm
    }

    /// z of every candidate, in order, with no allocation per candidate.
    public func scores(_ candidates: [UInt64], encoder: CodewordEncoder) -> [Float] {
        var out = [Float](repeating: 0, count: candidates.count)
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: CodewordEncoder.byteCount) { packed in
            let base = packed.baseAddress!
            for (i, id) in candidates.enumerated() {
                encoder.encode(id, into: base)
                out[i] = z(packed: base)
            }
        }
        return out
    }
}
