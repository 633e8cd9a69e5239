import Foundation
import HallmarkMedia

/// Looks for Hallmark's own visible mark in sampled frames by template matching.
///
/// The mark is drawn, with the same libavfilter graph `stamp` uses, onto a flat grey frame of the
/// suspect's size, once for each corner; glyph and outline pixels form a signed template. Each
/// sampled frame (halved in size) is compared with each corner's template by normalised
/// cross-correlation over a small window of shifts. The mark is reported present when at least a
/// quarter of the samples match one corner with a correlation of 0.5 or more.
struct VisibleMarkDetector {
    struct Template {
        var corner: Int
        var x0: Int, y0: Int, width: Int, height: Int
        /// Zero-mean template values over the box (half resolution), 0 outside the drawn pixels.
        var values: [Float]
        var norm: Float
    }

    struct Sample: Sendable {
        var time: Double
        var width: Int
        var height: Int
        var luma: [UInt8]   // half resolution
    }

    static let cornerNames = ["top-left", "top-right", "bottom-right", "bottom-left"]
    static let threshold: Float = 0.5

    let mark: VisibleMark
    let templates: [Template]

    /// Halves a luma plane by 2x2 averaging.
    static func half(_ base: UnsafePointer<UInt8>, stride: Int, width: Int, height: Int) -> [UInt8] {
        let w = width / 2, h = height / 2
        var out = [UInt8](repeating: 0, count: w * h)
        for y in 0..<h {
            let top = base + 2 * y * stride, bottom = top + stride
            for x in 0..<w {
                out[y * w + x] = UInt8((Int(top[2 * x]) + Int(top[2 * x + 1]) + Int(bottom[2 * x]) + Int(bottom[2 * x + 1]) + 2) / 4)
            }
        }
        return out
    }

    init?(mark: VisibleMark, width: Int, height: Int) {
        guard mark.content != .none, width >= 64, height >= 64 else { return nil }
        self.mark = mark
        let filter = mark.filter(width: width, height: height)
        var templates: [Template] = []
        for corner in 0..<4 {
            var fixed = mark
            fixed.placement = VisibleMark.Placement.allCases[corner]
            guard let luma = try? OverlayRenderer.renderLuma(filter: fixed.filter(width: width, height: height), width: width, height: height, time: 0) else { continue }
            let halfLuma = luma.withUnsafeBufferPointer { Self.half($0.baseAddress!, stride: width, width: width, height: height) }
            let w = width / 2, h = height / 2
            var minX = w, minY = h, maxX = -1, maxY = -1
            for y in 0..<h { for x in 0..<w where abs(Int(halfLuma[y * w + x]) - 128) > 6 {
                minX = min(minX, x); maxX = max(maxX, x); minY = min(minY, y); maxY = max(maxY, y)
            } }
            guard maxX >= minX, maxY >= minY else { continue }
            let bw = maxX - minX + 1, bh = maxY - minY + 1
            var values = [Float](repeating: 0, count: bw * bh)
            for y in 0..<bh { for x in 0..<bw { values[y * bw + x] = Float(Int(halfLuma[(minY + y) * w + minX + x]) - 128) } }
            let mean = values.reduce(0, +) / Float(values.count)
            for i in values.indices { values[i] -= mean }
            let norm = values.reduce(0) { $0 + $1 * $1 }.squareRoot()
            guard norm > 0 else { continue }
            templates.append(Template(corner: corner, x0: minX, y0: minY, width: bw, height: bh, values: values, norm: norm))
        }
        guard !templates.isEmpty else { return nil }
        self.templates = templates
        _ = filter
    }

    /// Normalised cross-correlation of `template` with the sample at (x0, y0), or nil off the frame.
    func score(_ template: Template, _ sample: Sample, _ x0: Int, _ y0: Int) -> Float? {
        let w = sample.width
        guard x0 >= 0, y0 >= 0, x0 + template.width <= w, y0 + template.height <= sample.height else { return nil }
        var dot: Float = 0, sum: Float = 0, sumSquares: Float = 0
        sample.luma.withUnsafeBufferPointer { luma in
            template.values.withUnsafeBufferPointer { values in
                for y in 0..<template.height {
                    let row = (y0 + y) * w + x0, trow = y * template.width
                    for x in 0..<template.width {
                        let v = Float(luma[row + x])
                        dot += v * values[trow + x]
                        sum += v
                        sumSquares += v * v
                    }
                }
            }
        }
        let n = Float(template.width * template.height)
        let variance = sumSquares - sum * sum / n
        guard variance > 1e-3 else { return nil }
        return dot / (variance.squareRoot() * template.norm)
    }

    /// Best (corner, score, x, y) for one sample, in full-resolution pixels: every shift in a small
    /// window around where stamp draws the mark (glyph strokes are thin, so the peak is narrow).
    func match(_ sample: Sample) -> (corner: Int, score: Float, x: Int, y: Int) {
        var best = (corner: 0, score: Float(-1), x: 0, y: 0)
        let radius = max(3, sample.height / 50)
        for template in templates {
            for dy in -radius...radius {
                for dx in -radius...radius {
                    if let s = score(template, sample, template.x0 + dx, template.y0 + dy), s > best.score {
                        best = (template.corner, s, 2 * (template.x0 + dx), 2 * (template.y0 + dy))
                    }
                }
            }
        }
        return best
    }

    func detect(_ samples: [Sample]) -> VerificationReport.VisibleWatermark {
        var text: String? = nil
        if case .text(let t) = mark.content { text = t }
        var positions: [VerificationReport.VisiblePosition] = []
        var hits = 0
        for sample in samples {
            let m = match(sample)
            guard m.score >= Self.threshold else { continue }
            hits += 1
            let name = Self.cornerNames[m.corner]
            if var last = positions.last, last.corner == name, sample.time - last.end <= 1.5 {
                last.end = sample.time
                last.score = max(last.score, Double(m.score))
                positions[positions.count - 1] = last
            } else {
                positions.append(.init(start: sample.time, end: sample.time, corner: name, x: m.x, y: m.y, score: Double(m.score)))
            }
        }
        let detected = !samples.isEmpty && hits * 4 >= samples.count
        return .init(detected: detected, text: text, positions: detected ? positions : [],
                     note: detected ? nil : "checked \(samples.count) frames for the mark at the positions stamp draws it")
    }
}
