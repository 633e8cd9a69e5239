import Foundation

/// Ratios of paired measurements (ours / theirs, one per pair), summarised as the project reports
/// them: the median, with the smallest and largest pair as the spread.
struct PairedRatios: Sendable, Equatable {
    var ratios: [Double]

    init(ours: [Double], theirs: [Double]) {
        ratios = zip(ours, theirs).map { $1 > 0 ? $0 / $1 : .nan }.filter { !$0.isNaN }
    }

    var median: Double { Self.median(ratios) }
    var min: Double { ratios.min() ?? .nan }
    var max: Double { ratios.max() ?? .nan }

    /// "1.12x (1.05-1.20, 3 pairs)".
    var summary: String {
        guard !ratios.isEmpty else { return "-" }
        return String(format: "%.2fx (%.2f-%.2f, %d pair%@)", median, min, max, ratios.count, ratios.count == 1 ? "" : "s")
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return .nan }
        let mid = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
    }

    /// "412 MB" (decimal megabytes, as `ps` users read them).
    static func megabytes(_ bytes: Int64) -> String { String(format: "%.0f MB", Double(bytes) / 1e6) }
}
