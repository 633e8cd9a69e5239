/// What the detector concluded from a set of frames.
public struct DetectionResult: Sendable, Codable {
    /// True when the false-positive probability is at or below the threshold.
    public var detected: Bool
    /// The mark id, when detected and its CRC holds.
    public var markId: UInt64?
    /// The decoder's best reading of the payload, whether or not it is trustworthy.
    public var candidateMarkId: UInt64
    public var crcValid: Bool
    /// Probability that unmarked video scores this high, over every hypothesis searched
    /// (lattices x orientations x shifts), times 2^-16 when the payload's CRC holds; when it holds,
    /// the data cells' agreement with the decoded codeword can lower it further (see `WatermarkDetector`).
    public var pValue: Double
    /// log10 of `pValue`, finite even when `pValue` underflows to 0.
    public var log10PValue: Double
    /// Sync correlation peak in standard deviations of the correlation surface.
    public var syncZ: Double
    /// How many (lattice, orientation, shift) hypotheses the search examined.
    public var hypotheses: Double
    public var framesAnalyzed: Int
    /// The tiling found (in analysis pixels), nil when nothing was searched.
    public var lattice: Lattice?
    /// The winning tiling, orientation and reference, to guide the search in time windows.
    public var choice: SearchChoice?
    /// Tile period relative to what an unscaled frame of this size would carry.
    public var relativeScale: Double?
    public var rotationDegrees: Double?
    /// The 80 decoded information bits (64-bit id, CRC-16).
    public var payloadBits: [UInt8]
    /// Mean |soft value| / noise of the coded bits: a rough signal-to-noise figure.
    public var codedBitSNR: Double
    /// When the CRC holds: the data cells' agreement with the decoded codeword, in standard
    /// deviations of an empirical null (see `WatermarkDetector`).
    public var payloadZ: Double? = nil
    /// Per coded bit, the data cells' despread reading at the sync peak, both matched filters'
    /// readings normalised and summed: what informed detection scores candidate codewords
    /// against (`CodewordScorer`). Empty when nothing was searched.
    public var codedSoft: [Float] = []
    /// The same reading at the peaks of the runner-up tilings (best first), for informed detection.
    public var alternativeCodedSoft: [[Float]] = []
    /// Every tiling the search tried (the informed tile search tries them again, see `TileSearch`).
    public var tilings: [Lattice] = []

    public static func nothing(frames: Int) -> DetectionResult {
        DetectionResult(detected: false, markId: nil, candidateMarkId: 0, crcValid: false, pValue: 1,
                        log10PValue: 0, syncZ: 0, hypotheses: 0, framesAnalyzed: frames, lattice: nil, choice: nil,
                        relativeScale: nil, rotationDegrees: nil,
                        payloadBits: [UInt8](repeating: 0, count: Payload.informationBits), codedBitSNR: 0, payloadZ: nil)
    }
}

/// Where the sync search peaked: tiling, one of the 8 orientations of the square, and which
/// matched filter (whitened or smooth).
public struct SearchChoice: Sendable, Codable, Equatable {
    public var lattice: Lattice
    public var orientation: Int
    public var smoothReference: Bool
}
