#if canImport(Glibc)
import Glibc
#endif
/// Where each part of the watermark lives in the tile, derived from the key.
///
/// The tile is `side x side` cells. A keyed subset of cells carries a fixed *sync* pattern
/// (known ±1 chips) that the detector uses to find scale, rotation and shift; every other cell
/// carries one chip of a coded payload bit, multiplied by a keyed ±1 spreading chip. Each coded
/// bit is spread over about three cells scattered across the tile (a keyed interleaver), so a
/// local loss (logo overlay, crop) costs a little of many bits rather than all of a few.
public struct WatermarkLayout: Sendable {
    public static let side = 32
    public static let cellCount = side * side
    public static let syncCellCount = 224
    public static let codedBits = ConvolutionalCode.codedLength(informationBits: Payload.informationBits)

    /// For every cell (row-major): the sync chip (±1) or 0 when the cell carries data.
    public let syncChip: [Float]
    /// For every cell: the spreading chip (±1) of a data cell, 0 for sync cells.
    public let spreadChip: [Float]
    /// For every cell: the index of the coded bit it carries, -1 for sync cells.
    public let codedBitIndex: [Int]

    public init(key: WatermarkKey) {
        var cellOrder = KeyedRandom(key: key.bytes, domain: "hallmark.v1.cells")
        var cells = Array(0..<Self.cellCount)
        cells.shuffle(using: &cellOrder)
        var chips = KeyedRandom(key: key.bytes, domain: "hallmark.v1.chips")
        var sync = [Float](repeating: 0, count: Self.cellCount)
        var spread = [Float](repeating: 0, count: Self.cellCount)
        var bitIndex = [Int](repeating: -1, count: Self.cellCount)
        for (position, cell) in cells.enumerated() {
            let chip = chips.nextSign()
            if position < Self.syncCellCount {
                sync[cell] = chip
            } else {
                spread[cell] = chip
                bitIndex[cell] = (position - Self.syncCellCount) % Self.codedBits
            }
        }
        syncChip = sync
        spreadChip = spread
        codedBitIndex = bitIndex
    }

    /// The ±1 value of every cell for a given mark id.
    public func tile(markId: UInt64) -> [Float] {
        let coded = ConvolutionalCode().encode(Payload.bits(markId: markId))
        return (0..<Self.cellCount).map { cell in
            let index = codedBitIndex[cell]
            return index < 0 ? syncChip[cell] : spreadChip[cell] * (coded[index] == 1 ? 1 : -1)
        }
    }

    /// Cell size in pixels for a frame: the tile spans a fixed fraction of the frame's short side,
    /// so the pattern scales with the picture; never below 3 pixels.
    public static func cellSize(width: Int, height: Int) -> Float {
        max(3, Float(min(width, height)) / 140)
    }
}
