import Dispatch
import Synchronization

/// Informed geometry search, for a few candidate marks: where is each candidate's *whole* tile?
///
/// The blind search finds the geometry (tiling, orientation, shift) with the sync cells alone,
/// 224 of the tile's 1,024. When the mark is weak, as in a small source re-encoded hard, the sync
/// peak is often not the highest one on the correlation surface, the data cells are then read at
/// a wrong geometry, and informed detection has nothing to score. A candidate's whole tile (sync
/// and its own data cells) carries 4.6 times the sync's energy, so its correlation peak stands
/// about 2.1 times as many standard deviations above the surface and is found where the sync's
/// is not. Each candidate costs two references and 8 inverse FFTs per tiling, hence the limit.
///
/// The peak only chooses where to read. The evidence is still the codeword scores of the data
/// cells read there (`CollusionTracer`), so an innocent copy of the same source, whose tile shares
/// the sync cells, gains nothing from them. Since the place was chosen by looking, a score read
/// there counts every hypothesis the search could have chosen (`WatermarkDetector.hypotheses`):
/// a candidate's score at the chosen geometry is at most its largest over all of them, whose
/// upper tail under innocence is at most hypotheses × Q(z).
extension WatermarkDetector {
    /// Candidate sets larger than this are not searched tile by tile (the copies of one source
    /// are usually a handful; the whole registry is scored at the sync's geometry only).
    public static let tileSearchLimit = 16

    /// Where one candidate's tile correlates best, and the data cells' reading there.
    public struct TileMatch: Sendable {
        public var markId: UInt64
        /// The peak in standard deviations of its correlation surface (chooses the geometry; not evidence).
        public var peakZ: Double
        /// The coded bits read at the peak, for `CollusionTracer` (see `DetectionResult.codedSoft`).
        public var codedSoft: [Float]
    }

    /// Hypotheses the tile search examines for one candidate over `tilings` tilings.
    public static func tileSearchHypotheses(tilings: Int) -> Double { hypotheses(tilings: tilings) }

    /// Each candidate's best geometry over `tilings` (the blind search's, `DetectionResult.tilings`),
    /// in the order of `markIds`; empty when there is nothing to search.
    public func tileSearch(_ accumulator: AccumulatedFrames, markIds: [UInt64], tilings: [Lattice]) -> [TileMatch] {
        guard !markIds.isEmpty, !tilings.isEmpty, accumulator.frameCount > 0,
              accumulator.width >= 64, accumulator.height >= 64 else { return [] }
        let image = Self.searchImage(accumulator), width = accumulator.width, height = accumulator.height
        let tiles = markIds.map { layout.tile(markId: $0) }
        // Per tiling, each candidate's best peak; the tilings run on every core.
        let slots = Mutex([[Search?]](repeating: [Search?](repeating: nil, count: markIds.count), count: tilings.count))
        DispatchQueue.concurrentPerform(iterations: tilings.count) { index in
            let found = peaks(tiles: tiles, folded: Self.fold(image: image, width: width, height: height, lattice: tilings[index]),
                              lattice: tilings[index])
            slots.withLock { $0[index] = found }
        }
        let perTiling = slots.withLock { $0 }
        return markIds.indices.compactMap { candidate in
            let best = perTiling.compactMap { $0[candidate] }.max { $0.z < $1.z }
            return best.map { TileMatch(markId: markIds[candidate], peakZ: $0.z, codedSoft: codedSoft(at: $0)) }
        }
    }

    /// Every candidate tile's highest peak over both reference shapes, 8 orientations and every
    /// shift of one tiling's folded picture.
    private func peaks(tiles: [[Float]], folded: [Float], lattice: Lattice) -> [Search?] {
        let g = Self.grid, count = g * g
        let fft = FFT2D(width: g, height: g)
        let cellPixels = lattice.period / Double(WatermarkLayout.side)
        // The folded picture in its 8 orientations, transformed once for every candidate.
        let oriented = (0..<8).map { orientation -> (picture: [Float], re: [Float], im: [Float]) in
            let picture = Self.orient(folded, orientation)
            var re = picture, im = [Float](repeating: 0, count: count)
            fft.forward(&re, &im)
            return (picture, re, im)
        }
        var re = [Float](repeating: 0, count: count), im = re
        return tiles.map { tile in
            var best: Search? = nil
            for shape in ReferenceShape.allCases {
                var refRe = Self.renderBins(tile, cellPixels: cellPixels, shape: shape), refIm = [Float](repeating: 0, count: count)
                fft.forward(&refRe, &refIm)
                var peak = Search(z: 0, orientation: 0, shiftRow: 0, shiftColumn: 0, oriented: [], lattice: lattice, shape: shape)
                var peakValue = -Float.infinity
                var sum = 0.0, sumSquares = 0.0
                // Two orientations per inverse FFT: both correlations are real, so the pair's
                // products packed as P₀ + i·P₁ come back as c₀ + i·c₁.
                for first in stride(from: 0, to: 8, by: 2) {
                    let a = oriented[first], b = oriented[first + 1]
                    for k in 0..<count {
                        // F · conj(R) for each
                        let aRe = a.re[k] * refRe[k] + a.im[k] * refIm[k], aIm = a.im[k] * refRe[k] - a.re[k] * refIm[k]
                        let bRe = b.re[k] * refRe[k] + b.im[k] * refIm[k], bIm = b.im[k] * refRe[k] - b.re[k] * refIm[k]
                        re[k] = aRe - bIm
                        im[k] = aIm + bRe
                    }
                    fft.inverse(&re, &im)
                    for (orientation, surface) in [(first, re), (first + 1, im)] {
                        for k in 0..<count {
                            let value = surface[k]
                            sum += Double(value)
                            sumSquares += Double(value) * Double(value)
                            if value > peakValue {
                                peakValue = value
                                peak.orientation = orientation
                                peak.shiftRow = k / g
                                peak.shiftColumn = k % g
                            }
                        }
                    }
                }
                let samples = Double(8 * count), mean = sum / samples
                let deviation = max((sumSquares / samples - mean * mean).squareRoot(), 1e-30)
                peak.z = (Double(peakValue) - mean) / deviation
                peak.oriented = oriented[peak.orientation].picture
                if best == nil || peak.z > best!.z { best = peak }
            }
            return best
        }
    }
}
