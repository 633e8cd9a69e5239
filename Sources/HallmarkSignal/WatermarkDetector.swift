import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Finds the spectral watermark in an accumulated picture and decodes its payload.
///
/// 1. Tiling: the nominal lattice for this frame size, plus the one the autocorrelation shows
///    (after scaling, rotation, aspect change).
/// 2. For each, every pixel is folded modulo the tile into a 128x128 grid (4x4 bins a cell).
/// 3. The folded tile is correlated, by FFT, with the keyed sync pattern at every cyclic shift
///    and in all 8 orientations of the square (rotations by 90 degrees and mirror images).
/// 4. The peak's height in standard deviations of the whole correlation surface gives a
///    Gaussian tail probability, multiplied by the number of hypotheses searched.
/// 5. At the peak, each data cell's soft value (read with either reference shape) feeds a list
///    Viterbi decoder; the first of the 2 x 8 best readings whose CRC-16 holds is the mark id,
///    and multiplies the probability by rank x 2^-16. The data cells' agreement with that
///    reading is further evidence (Fisher's method, see `payloadAgreementZ`).
public struct WatermarkDetector: Sendable {
    public static let binsPerCell = 4
    /// How many of each decoder's best readings may be checked against the CRC (two decoders, one
    /// per reference shape). A longer list reads weaker marks but lets a wrong id through more
    /// often (at most 2 x this many times 2^-16).
    static let payloadListSize = 8
    public static let grid = WatermarkLayout.side * binsPerCell
    /// Declare "detected" at or below this false-positive probability.
    public var threshold: Double
    private let log10Looks: Double

    let layout: WatermarkLayout
    /// Matched filters already rendered (time windows reuse the whole clip's tiling).
    private let references = ReferenceCache()

    /// - Parameter looks: how many times the caller analyses the same clip (e.g. reference frames
    ///   first, then every frame): each p-value is multiplied by it, so that the procedure as a
    ///   whole keeps its false-positive rate.
    public init(key: WatermarkKey, threshold: Double = 1e-9, looks: Int = 1) {
        self.threshold = threshold
        self.log10Looks = log10(Double(max(1, looks)))
        layout = WatermarkLayout(key: key)
    }

    /// Analyses what `accumulator` has gathered.
    ///
    /// - Parameter lattices: tilings to try besides the nominal one; nil estimates them from the
    ///   picture's autocorrelation. Time windows reuse the tiling found over the whole clip.
    /// - Parameter guide: search only this tiling, orientation and reference (time windows reuse the
    ///   whole clip's choice); the p-value still counts every orientation and reference, so it
    ///   stays conservative.
    public func detect(_ accumulator: FrameAccumulator, lattices: [Lattice]? = nil, includeNominal: Bool = true,
                       guide: SearchChoice? = nil) -> DetectionResult {
        detect(accumulator.snapshot(), lattices: lattices, includeNominal: includeNominal, guide: guide)
    }

    /// Analyses accumulated frames (see the overload taking a `FrameAccumulator`).
    ///
    /// - Parameter alsoTry: tilings to try besides the nominal and estimated ones (a long clip's
    ///   windows were folded at tilings chosen from its beginning; see `FoldedFrames`). Each counts
    ///   as one more hypothesis.
    public func detect(_ accumulator: AccumulatedFrames, lattices: [Lattice]? = nil, includeNominal: Bool = true,
                       guide: SearchChoice? = nil, alsoTry: [Lattice] = []) -> DetectionResult {
        let frames = accumulator.frameCount
        guard frames > 0, accumulator.width >= 64, accumulator.height >= 64 else { return .nothing(frames: frames) }
        let image = Self.searchImage(accumulator)
        let nominalPeriod = Self.nominalPeriod(sourceWidth: accumulator.sourceWidth, sourceHeight: accumulator.sourceHeight,
                                               decimation: accumulator.decimation)
        let nominal = Lattice.nominal(period: nominalPeriod)
        var candidates = includeNominal || lattices == nil || lattices!.isEmpty ? [nominal] : []
        // A crop keeps the source's cell size while changing the frame's: also try the tilings of
        // common source sizes (short side 2160 ... 360, generator outputs among them) unscaled.
        if includeNominal && lattices == nil {
            for sourceShortSide in [2160, 1440, 1080, 768, 720, 540, 480, 360] {
                let period = Double(WatermarkLayout.side) * Double(WatermarkLayout.cellSize(width: sourceShortSide, height: sourceShortSide)) / Double(accumulator.decimation)
                // At least two whole tiles along the short side: a fold of fewer is mostly the
                // picture itself, whose structure scores like a mark.
                guard 2 * period <= Double(min(accumulator.width, accumulator.height)), abs(period / nominalPeriod - 1) > 0.01,
                      !candidates.contains(where: { abs($0.period / period - 1) < 0.01 }) else { continue }
                candidates.append(.nominal(period: period))
            }
        }
        if let guide { candidates = [guide.lattice] }
        let found = guide != nil ? [] : (lattices ?? LatticeEstimator.estimate(image: image, width: accumulator.width, height: accumulator.height)) + alsoTry
        for lattice in found {
            let close = abs(lattice.period / nominal.period - 1) < 0.002 && abs(lattice.angleDegrees) < 0.05
            if !(close && candidates.contains(nominal)) && !candidates.contains(lattice) { candidates.append(lattice) }
        }
        // Each tiling is independent: search them on every core.
        let tilings = candidates, width = accumulator.width, height = accumulator.height
        let searches = SearchSlots(count: tilings.count)
        DispatchQueue.concurrentPerform(iterations: tilings.count) { index in
            let lattice = tilings[index]
            let folded = Self.fold(image: image, width: width, height: height, lattice: lattice)
            var best: Search? = nil
            let shapes = guide.map { [$0.smoothReference ? ReferenceShape.smooth : .whitened] } ?? ReferenceShape.allCases
            for shape in shapes {
                let search = correlate(folded, lattice: lattice, shape: shape, orientations: guide.map { [$0.orientation] } ?? Array(0..<8))
                if best == nil || search.z > best!.z { best = search }
            }
            searches.set(index, best)
        }
        let ranked = searches.values.compactMap { $0 }.sorted { $0.z > $1.z }
        let hypotheses = Self.hypotheses(tilings: candidates.count)
        var result = decode(ranked[0], hypotheses: hypotheses, frames: frames, nominalPeriod: nominalPeriod)
        // The runners-up: at low signal the right tiling is not always the one whose sync peak is
        // highest, and informed detection can test a few (counting them).
        result.alternativeCodedSoft = ranked.dropFirst().prefix(Self.alternativeGeometries).map { codedSoft(at: $0) }
        result.tilings = ranked.map(\.lattice) + candidates.filter { lattice in !ranked.contains { $0.lattice == lattice } }
        return result
    }

    /// The tile period of an unattacked frame of this size, in analysis pixels.
    static func nominalPeriod(sourceWidth: Int, sourceHeight: Int, decimation: Int) -> Double {
        Double(WatermarkLayout.side) * Double(WatermarkLayout.cellSize(width: sourceWidth, height: sourceHeight)) / Double(decimation)
    }

    /// A window's frames folded at `tilings`, for a guided detection later (`detect(_:guide:)`).
    /// No tilings: only the frame count is kept (a verifier without the key needs no more).
    public static func folded(_ accumulator: AccumulatedFrames, tilings: [Lattice]) -> FoldedFrames {
        let usable = accumulator.width >= 64 && accumulator.height >= 64
        let image = usable && !tilings.isEmpty ? searchImage(accumulator) : []
        let tiles = usable ? tilings.map { fold(image: image, width: accumulator.width, height: accumulator.height, lattice: $0) } : []
        return FoldedFrames(sourceWidth: accumulator.sourceWidth, sourceHeight: accumulator.sourceHeight, decimation: accumulator.decimation,
                            frameCount: accumulator.frameCount, tilings: usable ? tilings : [], tiles: tiles)
    }

    /// The guided detection of a folded window: what `detect(_:guide:)` on its accumulated
    /// frames gives, read from the tile folded at the guide's tiling. Nil when the window was not
    /// folded at a tiling that reads like it (the caller then folds again at the guide's).
    public func detect(_ folded: FoldedFrames, guide: SearchChoice?) -> DetectionResult? {
        let width = folded.sourceWidth / folded.decimation, height = folded.sourceHeight / folded.decimation
        guard folded.frameCount > 0, width >= 64, height >= 64, let guide else { return .nothing(frames: folded.frameCount) }
        guard let tile = folded.tile(for: guide.lattice, width: width, height: height) else { return nil }
        let nominalPeriod = Self.nominalPeriod(sourceWidth: folded.sourceWidth, sourceHeight: folded.sourceHeight, decimation: folded.decimation)
        let search = correlate(tile, lattice: guide.lattice, shape: guide.smoothReference ? .smooth : .whitened, orientations: [guide.orientation])
        var result = decode(search, hypotheses: Self.hypotheses(tilings: 1), frames: folded.frameCount, nominalPeriod: nominalPeriod)
        result.tilings = [guide.lattice]
        return result
    }

    /// The accumulated picture as the searches read it: outliers clipped, the codecs' block grid removed.
    static func searchImage(_ accumulator: AccumulatedFrames) -> [Float] {
        removeBlockGrid(clipOutliers(accumulator.mean), width: accumulator.width, height: accumulator.height)
    }

    /// Hypotheses a search over `tilings` tilings examines: both reference shapes, the 8
    /// orientations of the square and every cyclic shift of the folded grid.
    static func hypotheses(tilings: Int) -> Double {
        Double(tilings * ReferenceShape.allCases.count) * 8 * Double(grid * grid)
    }

    /// Tilings besides the best whose data cells informed detection also reads.
    public static let alternativeGeometries = 5

    /// The data cells' combined reading at a search's peak (see `DetectionResult.codedSoft`).
    func codedSoft(at search: Search) -> [Float] {
        var combined = [Float](repeating: 0, count: WatermarkLayout.codedBits)
        for shape in ReferenceShape.allCases {
            let filtered = Self.cellFiltered(search.oriented, kernel: cellKernel(cellPixels: search.lattice.period / Double(WatermarkLayout.side), shape: shape))
            let soft = codedBitSums(Self.cellValues(filtered, shiftRow: search.shiftRow, shiftColumn: search.shiftColumn))
            let norm = max(soft.reduce(0) { $0 + $1 * $1 }.squareRoot(), 1e-20)
            for b in combined.indices { combined[b] += soft[b] / norm }
        }
        return combined
    }

    /// Clips the accumulated picture at 2.5 robust standard deviations. What is left of the picture
    /// after averaging is mostly static edges (borders, bars, logos, the corners of a rotated frame)
    /// whose lines would otherwise dominate the autocorrelation and the fold.
    static func clipOutliers(_ image: [Float]) -> [Float] {
        guard !image.isEmpty else { return image }
        // Median absolute value from a subsample is plenty for a scale.
        let step = max(1, image.count / 65_536)
        var sample = [Float]()
        sample.reserveCapacity(image.count / step + 1)
        var i = 0
        while i < image.count { if image[i] != 0 { sample.append(abs(image[i])) }; i += step }
        guard !sample.isEmpty else { return image }
        let sigma = Statistics.select(&sample, rank: sample.count / 2) * 1.4826
        guard sigma > 0 else { return image }
        let limit = 2.5 * sigma
        return image.map { max(-limit, min(limit, $0)) }
    }

    /// Removes what repeats every 16 pixels from the frame's origin: codecs' block edges (8 and
    /// 16 pixels, 8 in a 2x-averaged picture) survive averaging over frames wherever the picture
    /// is flat, and a tiling whose period is a multiple of 16 would fold them into a structured
    /// tile that looks like a mark. The watermark's period is not tied to that grid, so it loses
    /// next to nothing (256 means over the whole picture).
    static func removeBlockGrid(_ image: [Float], width: Int, height: Int) -> [Float] {
        let period = 16
        guard width >= 4 * period, height >= 4 * period else { return image }
        var sums = [Double](repeating: 0, count: period * period), counts = sums
        for y in 0..<height {
            let row = (y % period) * period
            for x in 0..<width {
                sums[row + x % period] += Double(image[y * width + x])
                counts[row + x % period] += 1
            }
        }
        let total = sums.reduce(0, +) / counts.reduce(0, +)
        let template = (0..<(period * period)).map { Float(sums[$0] / counts[$0] - total) }
        var out = image
        for y in 0..<height {
            let row = (y % period) * period
            for x in 0..<width { out[y * width + x] -= template[row + x % period] }
        }
        return out
    }

    // MARK: - Folding

    /// Mean of the image's pixels per tile bin, given the tiling, with the overall mean removed.
    static func fold(image: [Float], width: Int, height: Int, lattice: Lattice) -> [Float] {
        let g = grid
        var sums = [Float](repeating: 0, count: g * g)
        var counts = [Float](repeating: 0, count: g * g)
        let det = lattice.determinant
        // Tile coordinates (in periods) per pixel step.
        let dsdx = lattice.by / det, dsdy = -lattice.bx / det
        let dtdx = -lattice.ay / det, dtdy = lattice.ax / det
        let scale = Double(g)
        image.withUnsafeBufferPointer { image in
            sums.withUnsafeMutableBufferPointer { sums in
                counts.withUnsafeMutableBufferPointer { counts in
                    for y in 0..<height {
                        var s = (Double(y) * dsdy) * scale, t = (Double(y) * dtdy) * scale
                        let stepS = dsdx * scale, stepT = dtdx * scale
                        let row = y * width
                        for x in 0..<width {
                            // g is a power of two, so masking wraps negative coordinates too.
                            let i = Int(t.rounded(.down)) & (g - 1)
                            let j = Int(s.rounded(.down)) & (g - 1)
                            let bin = i * g + j
                            sums[bin] += image[row + x]
                            counts[bin] += 1
                            s += stepS
                            t += stepT
                        }
                    }
                }
            }
        }
        var mean: Float = 0, filled: Float = 0
        for k in 0..<(g * g) where counts[k] > 0 {
            sums[k] /= counts[k]
            mean += sums[k]
            filled += 1
        }
        mean /= max(filled, 1)
        for k in 0..<(g * g) { sums[k] = counts[k] > 0 ? sums[k] - mean : 0 }
        return sums
    }

    /// Two matched filters for the folded tile. `whitened` is what the pattern looks like after
    /// the accumulator's high-pass (its bilinear pattern minus its 3x3-pixel mean), best when the
    /// pattern arrives intact; `smooth` is the bilinear pattern itself, which matches better what
    /// is left after heavy compression has removed the pattern's fine detail.
    enum ReferenceShape: CaseIterable, Sendable { case whitened, smooth }

    /// A cell pattern as the folded tile shows it, at bin resolution, for cells `cellPixels` wide.
    ///
    /// Each bin is the mean of the bilinear pattern over its area (as folding averages the pixels
    /// that land in it), sampled 2x2 times; `whitened` subtracts from each sample the mean of the
    /// 3x3 samples one pixel apart. The bilinear pattern is separable, and so are both shapes:
    /// the rendering is `W·cells·Wᵀ` (minus `N·cells·Nᵀ / 9` when whitened), with `W` and `N` the
    /// per-axis weights of the cells for each bin (`axisWeights`). That makes a reference cheap
    /// enough to render for every candidate the tile search tries.
    static func renderBins(_ cells: [Float], cellPixels: Double, shape: ReferenceShape) -> [Float] {
        let weights = axisWeights(cellPixels: cellPixels)
        var out = separableProduct(weights.centre, cells)
        if shape == .whitened {
            let neighbourhood = separableProduct(weights.neighbourhood, cells)
            for k in out.indices { out[k] -= neighbourhood[k] / 9 }
        }
        return out.map { Float($0) }
    }

    /// Per bin along one axis (row-major, `grid x side`), the weight of each cell index in the
    /// bin's mean: `centre` for the 2 samples in the bin, `neighbourhood` for the samples one
    /// pixel before, at and after each of them.
    static func axisWeights(cellPixels: Double) -> (centre: [Double], neighbourhood: [Double]) {
        let side = WatermarkLayout.side, s = binsPerCell, g = grid, sub = 2
        let step = 1 / max(cellPixels, 0.5)
        var centre = [Double](repeating: 0, count: g * side), neighbourhood = centre
        func add(_ u: Double, _ weight: Double, to row: inout [Double], bin: Int) {
            let uu = u - 0.5, u0 = uu.rounded(.down), fraction = uu - u0
            let lo = ((Int(u0) % side) + side) % side
            row[bin * side + lo] += weight * (1 - fraction)
            row[bin * side + (lo + 1) % side] += weight * fraction
        }
        for bin in 0..<g {
            for a in 0..<sub {
                let u = (Double(bin) + (Double(a) + 0.5) / Double(sub)) / Double(s)
                add(u, 1 / Double(sub), to: &centre, bin: bin)
                for offset in -1...1 { add(u + Double(offset) * step, 1 / Double(sub), to: &neighbourhood, bin: bin) }
            }
        }
        return (centre, neighbourhood)
    }

    /// `W·cells·Wᵀ` for a `grid x side` weight matrix and a `side x side` tile: `grid x grid`.
    static func separableProduct(_ weights: [Double], _ cells: [Float]) -> [Double] {
        let side = WatermarkLayout.side, g = grid
        // Along the columns first: across[r][j] = Σ_c cells[r][c]·W[j][c].
        var across = [Double](repeating: 0, count: side * g)
        for r in 0..<side {
            for j in 0..<g {
                var total = 0.0
                for c in 0..<side { total += Double(cells[r * side + c]) * weights[j * side + c] }
                across[r * g + j] = total
            }
        }
        // Then down the rows: out[i][j] = Σ_r W[i][r]·across[r][j].
        var out = [Double](repeating: 0, count: g * g)
        for i in 0..<g {
            for r in 0..<side {
                let weight = weights[i * side + r]
                guard weight != 0 else { continue }
                for j in 0..<g { out[i * g + j] += weight * across[r * g + j] }
            }
        }
        return out
    }

    /// Results written by concurrent workers, one slot each.
    final class SearchSlots: Sendable {
        private let slots: Mutex<[Search?]>
        init(count: Int) { slots = Mutex([Search?](repeating: nil, count: count)) }
        func set(_ index: Int, _ value: Search?) { slots.withLock { $0[index] = value } }
        var values: [Search?] { slots.withLock { $0 } }
    }

    /// A small thread-safe memo of rendered references, keyed by what they depend on.
    final class ReferenceCache: Sendable {
        private let entries = Mutex<[String: ([Float], [Float])]>([:])

        func value(for kind: String, cellPixels: Double, shape: ReferenceShape, make: () -> ([Float], [Float])) -> ([Float], [Float]) {
            let key = "\(kind)/\(shape)/\(Int((cellPixels * 100).rounded()))"
            if let hit = entries.withLock({ $0[key] }) { return hit }
            let made = make()
            entries.withLock { entries in
                if entries.count > 64 { entries.removeAll() }
                entries[key] = made
            }
            return made
        }
    }

    // MARK: - Sync search

    struct Search {
        var z: Double
        var orientation: Int
        var shiftRow: Int
        var shiftColumn: Int
        var oriented: [Float]
        var lattice: Lattice
        var shape: ReferenceShape
    }

    /// One of the 8 symmetries of the square applied to a grid (swap axes, mirror rows, mirror columns).
    static func orient(_ folded: [Float], _ orientation: Int) -> [Float] {
        let g = grid
        var out = [Float](repeating: 0, count: g * g)
        let swap = orientation & 4 != 0, mirrorRows = orientation & 1 != 0, mirrorColumns = orientation & 2 != 0
        for i in 0..<g {
            for j in 0..<g {
                var (si, sj) = swap ? (j, i) : (i, j)
                if mirrorRows { si = g - 1 - si }
                if mirrorColumns { sj = g - 1 - sj }
                out[i * g + j] = folded[si * g + sj]
            }
        }
        return out
    }

    func correlate(_ folded: [Float], lattice: Lattice, shape: ReferenceShape, orientations: [Int] = Array(0..<8)) -> Search {
        let g = Self.grid
        let fft = FFT2D(width: g, height: g)
        let cellPixels = lattice.period / Double(WatermarkLayout.side)
        let (refRe, refIm) = references.value(for: "sync", cellPixels: cellPixels, shape: shape) {
            var re = Self.renderBins(layout.syncChip, cellPixels: cellPixels, shape: shape), im = [Float](repeating: 0, count: g * g)
            fft.forward(&re, &im)
            return (re, im)
        }
        var best = Search(z: -.infinity, orientation: 0, shiftRow: 0, shiftColumn: 0, oriented: [], lattice: lattice, shape: shape)
        var bestValue: Float = -.infinity
        var sum = 0.0, sumSquares = 0.0, count = 0.0
        for orientation in orientations {
            let oriented = Self.orient(folded, orientation)
            var re = oriented, im = [Float](repeating: 0, count: g * g)
            fft.forward(&re, &im)
            for k in 0..<(g * g) {
                // F · conj(R)
                let r = re[k] * refRe[k] + im[k] * refIm[k]
                let i = im[k] * refRe[k] - re[k] * refIm[k]
                re[k] = r
                im[k] = i
            }
            fft.inverse(&re, &im)
            for k in 0..<(g * g) {
                let v = Double(re[k])
                sum += v
                sumSquares += v * v
                count += 1
                if re[k] > bestValue {
                    bestValue = re[k]
                    best = Search(z: 0, orientation: orientation, shiftRow: k / g, shiftColumn: k % g,
                                  oriented: oriented, lattice: lattice, shape: shape)
                }
            }
        }
        let mean = sum / count
        let deviation = max((sumSquares / count - mean * mean).squareRoot(), 1e-30)
        best.z = (Double(bestValue) - mean) / deviation
        return best
    }

    // MARK: - Payload

    func decode(_ search: Search, hypotheses: Double, frames: Int, nominalPeriod: Double) -> DetectionResult {
        // Each reference shape's matched filter for one cell reads the cells; the sync search's
        // shape first. Heavy compression leaves cells between the two shapes, and which one reads
        // the payload is not always the one that found the sync.
        let shapes = [search.shape] + ReferenceShape.allCases.filter { $0 != search.shape }
        let readers = shapes.map { shape -> (filtered: [Float], soft: [Float], readings: [[UInt8]]) in
            let filtered = Self.cellFiltered(search.oriented, kernel: cellKernel(cellPixels: search.lattice.period / Double(WatermarkLayout.side), shape: shape))
            let soft = codedBitSums(Self.cellValues(filtered, shiftRow: search.shiftRow, shiftColumn: search.shiftColumn))
            return (filtered, soft, ConvolutionalCode().decodeList(soft: soft, informationBits: Payload.informationBits, listSize: Self.payloadListSize))
        }
        // The decoders' best readings, alternating between shapes, best first; the first whose CRC
        // holds is taken. Its rank counts in the p-value (each wrong reading passes the CRC with
        // probability 2^-16).
        var order: [(reader: Int, reading: [UInt8])] = []
        for rank in 0..<Self.payloadListSize {
            for (index, reader) in readers.enumerated() where rank < reader.readings.count { order.append((index, reader.readings[rank])) }
        }
        let acceptedRank = order.firstIndex { Payload.decode($0.reading).crcValid }
        let accepted = order[acceptedRank ?? 0]
        let informationBits = accepted.reading, soft = readers[accepted.reader].soft, filtered = readers[accepted.reader].filtered
        let (candidate, crcValid) = Payload.decode(informationBits)

        let meanAbs = soft.reduce(0) { $0 + Double(abs($1)) } / Double(soft.count)
        let rms = (soft.reduce(0) { $0 + Double($1 * $1) } / Double(soft.count)).squareRoot()
        let snr = rms > 0 ? meanAbs / max(1e-12, (rms * rms - meanAbs * meanAbs).squareRoot()) : 0

        // Evidence 1: the sync peak over every hypothesis searched, times rank x 2^-16 when a CRC holds.
        let log10SyncSearch = min(0, log10(hypotheses) + Statistics.log10NormalUpperTail(search.z))
        let log10CRC = acceptedRank.map { log10(Double($0 + 1)) + Double(Payload.crcBits) * log10(0.5) } ?? 0
        var log10P = min(0, log10SyncSearch + log10CRC)
        // Evidence 2, when the CRC holds: how strongly the data cells agree with the decoded
        // codeword, which uses the other 78 % of the tile. Combined with the sync evidence by
        // Fisher's method; the smaller of the two p-values is kept, doubled for having looked at both.
        var payloadZ: Double? = nil
        if crcValid {
            let z = payloadAgreementZ(codeword: informationBits, soft: soft, search: search, filtered: filtered)
            payloadZ = z
            let log10Payload = min(0, Double(Payload.idBits) * log10(2.0) + Statistics.log10NormalUpperTail(z))
            let log10Fisher = Statistics.log10FisherCombined(log10SyncSearch, log10Payload)
            log10P = min(0, log10(2.0) + min(log10P, log10Fisher))
        }
        log10P = min(0, log10P + log10Looks)
        let pValue = pow(10, log10P)
        let detected = pValue <= threshold
        var combined = [Float](repeating: 0, count: WatermarkLayout.codedBits)
        for reader in readers {
            let norm = max(reader.soft.reduce(0) { $0 + $1 * $1 }.squareRoot(), 1e-20)
            for b in combined.indices { combined[b] += reader.soft[b] / norm }
        }
        let result = DetectionResult(
            detected: detected, markId: detected && crcValid ? candidate : nil, candidateMarkId: candidate,
            crcValid: crcValid, pValue: pValue, log10PValue: log10P, syncZ: search.z, hypotheses: hypotheses,
            framesAnalyzed: frames, lattice: search.lattice,
            choice: SearchChoice(lattice: search.lattice, orientation: search.orientation, smoothReference: search.shape == .smooth),
            relativeScale: search.lattice.period / nominalPeriod,
            rotationDegrees: search.lattice.angleDegrees, payloadBits: informationBits, codedBitSNR: snr,
            payloadZ: payloadZ)
        var withSoft = result
        withSoft.codedSoft = combined
        return withSoft
    }

    /// One cell's matched filter: its bump (in the given shape) over the 3x3 cells around it, in bins.
    func cellKernel(cellPixels: Double, shape: ReferenceShape) -> [Float] {
        let g = Self.grid, s = Self.binsPerCell, side = WatermarkLayout.side
        var single = [Float](repeating: 0, count: WatermarkLayout.cellCount)
        single[(side / 2) * side + side / 2] = 1
        let bins = references.value(for: "cell", cellPixels: cellPixels, shape: shape) {
            (Self.renderBins(single, cellPixels: cellPixels, shape: shape), [])
        }.0
        let span = 3 * s, origin = (side / 2 - 1) * s
        var kernel = [Float](repeating: 0, count: span * span)
        for k in 0..<span { for l in 0..<span { kernel[k * span + l] = bins[(origin + k) * g + origin + l] } }
        return kernel
    }

    /// The folded tile filtered with one cell's matched filter (`kernel`, 3x3 cells of bins),
    /// at every bin: entry (r, c) is what a cell centred at bin (r, c) reads.
    static func cellFiltered(_ oriented: [Float], kernel: [Float]) -> [Float] {
        let g = grid, s = binsPerCell, span = 3 * s
        var out = [Float](repeating: 0, count: g * g)
        for r in 0..<g {
            for c in 0..<g {
                var value: Float = 0
                for k in 0..<span {
                    let row = (r - s + k + g) & (g - 1)
                    for l in 0..<span {
                        value += kernel[k * span + l] * oriented[row * g + ((c - s + l + g) & (g - 1))]
                    }
                }
                out[r * g + c] = value
            }
        }
        return out
    }

    /// Each cell's soft value when the tile starts at bin (`shiftRow`, `shiftColumn`).
    static func cellValues(_ filtered: [Float], shiftRow: Int, shiftColumn: Int) -> [Float] {
        let g = grid, s = binsPerCell, side = WatermarkLayout.side
        var values = [Float](repeating: 0, count: WatermarkLayout.cellCount)
        for ci in 0..<side {
            let row = ((ci * s + shiftRow) & (g - 1)) * g
            for cj in 0..<side { values[ci * side + cj] = filtered[row + ((cj * s + shiftColumn) & (g - 1))] }
        }
        return values
    }

    /// Per coded bit, the despread sum of the cells that carry it (> 0 reads as 1).
    func codedBitSums(_ cellValues: [Float]) -> [Float] {
        var soft = [Float](repeating: 0, count: WatermarkLayout.codedBits)
        for cell in 0..<WatermarkLayout.cellCount where layout.codedBitIndex[cell] >= 0 {
            soft[layout.codedBitIndex[cell]] += layout.spreadChip[cell] * cellValues[cell]
        }
        return soft
    }

    /// Agreement of the data cells with the decoded codeword, in standard deviations of the same
    /// agreement measured at 256 wrong alignments of the tile.
    ///
    /// The wrong alignments give an empirical null for this very codeword that keeps whatever
    /// spatial correlation the noise has (neighbouring cells share host picture); a mark present
    /// there only widens it, which errs on the safe side. The standard deviation is raised by 10 %
    /// to cover its own sampling error. A Gaussian tail with a union bound over the 2^64
    /// CRC-valid codewords (the decoder picked the best of them) turns it into a probability.
    func payloadAgreementZ(codeword informationBits: [UInt8], soft: [Float], search: Search, filtered: [Float]) -> Double {
        let signs = ConvolutionalCode().encode(informationBits).map { Float($0 == 1 ? 1 : -1) }
        func agreement(_ soft: [Float]) -> Double {
            var total = 0.0
            for (value, sign) in zip(soft, signs) { total += Double(value * sign) }
            return total
        }
        let observed = agreement(soft)
        let g = Self.grid, margin = 2 * Self.binsPerCell
        var nulls: [Double] = []
        nulls.reserveCapacity(256)
        var step = 0
        while nulls.count < 256 {
            // A spread of shifts (odd strides, so rows and columns decorrelate), none within two
            // cells of the peak.
            let dr = (step * 37 + 11) % g, dc = (step * 83 + 29) % g
            step += 1
            let nearRow = dr < margin || dr > g - margin, nearColumn = dc < margin || dc > g - margin
            if nearRow && nearColumn { continue }
            let values = Self.cellValues(filtered, shiftRow: (search.shiftRow + dr) % g, shiftColumn: (search.shiftColumn + dc) % g)
            nulls.append(agreement(codedBitSums(values)))
        }
        let mean = nulls.reduce(0, +) / Double(nulls.count)
        let variance = nulls.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(nulls.count - 1)
        let deviation = max(1.1 * variance.squareRoot(), 1e-30)
        return (observed - mean) / deviation
    }
}
