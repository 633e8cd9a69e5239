/// A time window's accumulated frames reduced to what a guided detection reads: the search
/// picture folded into the 128x128 tile at each of a few tilings (64 KiB a tiling instead of a
/// whole 952x540 picture). A long clip's windows are kept this way once the tilings worth
/// reading are known, so that verification's memory does not grow with the clip's length beyond
/// these summaries (see `WatermarkDetector.folded(_:tilings:)`).
public struct FoldedFrames: Sendable {
    public let sourceWidth: Int
    public let sourceHeight: Int
    public let decimation: Int
    public let frameCount: Int
    /// The tilings folded, each with its tile (`WatermarkDetector.grid` squared bins, mean removed).
    public let tilings: [Lattice]
    let tiles: [[Float]]

    init(sourceWidth: Int, sourceHeight: Int, decimation: Int, frameCount: Int, tilings: [Lattice], tiles: [[Float]]) {
        precondition(tilings.count == tiles.count, "one tile per tiling")
        self.sourceWidth = sourceWidth
        self.sourceHeight = sourceHeight
        self.decimation = decimation
        self.frameCount = frameCount
        self.tilings = tilings
        self.tiles = tiles
    }

    /// Bytes the tiles take.
    public var byteCount: Int { tiles.reduce(0) { $0 + $1.count * MemoryLayout<Float>.size } }

    /// Two neighbouring windows as one: the frame-weighted mean of their tiles (every bin of a
    /// tiling collects the same pixels in both, so this is the fold of the frame-weighted mean
    /// picture; only the outlier clipping was done per window).
    public func merged(with other: FoldedFrames) -> FoldedFrames {
        precondition(other.tilings == tilings, "windows folded at the same tilings")
        let total = frameCount + other.frameCount
        guard total > 0 else { return self }
        let wa = Float(frameCount) / Float(total), wb = Float(other.frameCount) / Float(total)
        let tiles = zip(self.tiles, other.tiles).map { a, b in zip(a, b).map { $0 * wa + $1 * wb } }
        return FoldedFrames(sourceWidth: sourceWidth, sourceHeight: sourceHeight, decimation: decimation,
                            frameCount: total, tilings: tilings, tiles: tiles)
    }

    /// The folded tiling that reads like `lattice` over a `width x height` analysis picture: at
    /// most a quarter bin apart anywhere in it (see `Lattice.binDrift`), nil when none does.
    func tile(for lattice: Lattice, width: Int, height: Int) -> [Float]? {
        let drifts = tilings.map { $0.binDrift(to: lattice, width: width, height: height, grid: WatermarkDetector.grid) }
        guard let best = drifts.indices.min(by: { drifts[$0] < drifts[$1] }), drifts[best] <= 0.25 else { return nil }
        return tiles[best]
    }
}
