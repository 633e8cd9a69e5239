import HallmarkSignal

/// The frames of one stretch of time, summed on their own so that each stretch can be
/// attributed separately.
///
/// A window accumulates whole pictures (`accumulator`) while it is open; once the tilings worth
/// reading are known (`ClipDecoding`), a closed window keeps only its folded tiles (`folded`).
final class TimeWindow {
    /// Index of the window (start / window length).
    let slot: Int
    let start: Double
    /// Time of the last frame added.
    var end: Double
    /// The frames not yet folded (nil once folded).
    var accumulator: FrameAccumulator?
    /// The frames already folded (nil until the tilings are pinned).
    var folded: FoldedFrames?

    init(slot: Int, start: Double, accumulator: FrameAccumulator?, folded: FoldedFrames? = nil) {
        self.slot = slot
        self.start = start
        self.end = start
        self.accumulator = accumulator
        self.folded = folded
    }

    /// Bytes the window's sums take.
    var byteCount: Int {
        (accumulator.map { $0.width * $0.height * MemoryLayout<Float>.size } ?? 0) + (folded?.byteCount ?? 0)
    }

    /// Folds the accumulated pictures into `folded` (merging with what was folded before), adds
    /// them to `whole` and releases them.
    func fold(tilings: [Lattice], into whole: FrameAccumulator) {
        guard let accumulator else { return }
        whole.add(accumulator)
        let new = WatermarkDetector.folded(accumulator.snapshot(), tilings: tilings)
        folded = folded.map { $0.merged(with: new) } ?? new
        self.accumulator = nil
    }

    /// Windows of twice the length: neighbours summed (when the memory budget is reached).
    static func merged(_ windows: [TimeWindow], seconds: Double) -> [TimeWindow] {
        var out: [TimeWindow] = []
        for window in windows {
            let slot = Int((window.start / seconds).rounded(.down))
            if let last = out.last, last.slot == slot {
                if let accumulator = window.accumulator {
                    if let mine = last.accumulator { mine.add(accumulator) } else { last.accumulator = accumulator }
                }
                if let folded = window.folded { last.folded = last.folded.map { $0.merged(with: folded) } ?? folded }
                last.end = max(last.end, window.end)
            } else {
                let merged = TimeWindow(slot: slot, start: Double(slot) * seconds, accumulator: window.accumulator, folded: window.folded)
                merged.end = window.end
                out.append(merged)
            }
        }
        return out
    }
}
