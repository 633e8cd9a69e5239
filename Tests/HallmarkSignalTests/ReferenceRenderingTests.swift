import Testing
@testable import HallmarkSignal

/// `WatermarkDetector.renderBins` renders the pattern as a separable product of per-axis weights;
/// this is the point-by-point evaluation it replaced, which it must match (to rounding).
struct ReferenceRenderingTests {
    static func pointwise(_ cells: [Float], cellPixels: Double, shape: WatermarkDetector.ReferenceShape) -> [Float] {
        let side = WatermarkLayout.side, s = WatermarkDetector.binsPerCell, g = WatermarkDetector.grid
        let step = 1 / max(cellPixels, 0.5)
        func pattern(_ u: Double, _ v: Double) -> Double {
            let uu = u - 0.5, vv = v - 0.5
            let u0 = uu.rounded(.down), v0 = vv.rounded(.down)
            let fu = uu - u0, fv = vv - v0
            let c0 = ((Int(u0) % side) + side) % side, c1 = (c0 + 1) % side
            let r0 = ((Int(v0) % side) + side) % side, r1 = (r0 + 1) % side
            let top = Double(cells[r0 * side + c0]) * (1 - fu) + Double(cells[r0 * side + c1]) * fu
            let bottom = Double(cells[r1 * side + c0]) * (1 - fu) + Double(cells[r1 * side + c1]) * fu
            return top * (1 - fv) + bottom * fv
        }
        let sub = 2
        var out = [Float](repeating: 0, count: g * g)
        for i in 0..<g {
            for j in 0..<g {
                var total = 0.0
                for a in 0..<sub {
                    let v = (Double(i) + (Double(a) + 0.5) / Double(sub)) / Double(s)
                    for b in 0..<sub {
                        let u = (Double(j) + (Double(b) + 0.5) / Double(sub)) / Double(s)
                        if shape == .smooth { total += pattern(u, v); continue }
                        var neighbourhood = 0.0
                        for dy in -1...1 { for dx in -1...1 { neighbourhood += pattern(u + Double(dx) * step, v + Double(dy) * step) } }
                        total += pattern(u, v) - neighbourhood / 9
                    }
                }
                out[i * g + j] = Float(total / Double(sub * sub))
            }
        }
        return out
    }

    @Test(arguments: [2.0, 3.85, 7.59, 0.3])
    func lookupTablesMatchPointwiseEvaluation(cellPixels: Double) {
        var random = KeyedRandom(key: [UInt8](repeating: 3, count: 32), domain: "cells")
        let cells = (0..<(WatermarkLayout.side * WatermarkLayout.side)).map { _ in random.nextSign() }
        for shape in WatermarkDetector.ReferenceShape.allCases {
            let rendered = WatermarkDetector.renderBins(cells, cellPixels: cellPixels, shape: shape)
            let expected = Self.pointwise(cells, cellPixels: cellPixels, shape: shape)
            let largest = zip(rendered, expected).map { abs($0 - $1) }.max() ?? 0
            #expect(rendered.count == expected.count && largest < 1e-5, "\(shape) at \(cellPixels) px: differs by \(largest)")
        }
    }
}
