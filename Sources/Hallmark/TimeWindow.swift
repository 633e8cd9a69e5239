import HallmarkSignal

/// The frames of one stretch of time, summed on their own so that each stretch can be
/// attributed separately.
final class TimeWindow {
    /// Index of the window (start / window length).
    let slot: Int
    let start: Double
    /// Time of the last frame added.
    var end: Double
    let accumulator: FrameAccumulator

    init(slot: Int, start: Double, accumulator: FrameAccumulator) {
        self.slot = slot
        self.start = start
        self.end = start
        self.accumulator = accumulator
    }

    /// Windows of twice the length: neighbours summed (when the memory budget is reached).
    static func merged(_ windows: [TimeWindow], seconds: Double) -> [TimeWindow] {
        var out: [TimeWindow] = []
        for window in windows {
            let slot = Int((window.start / seconds).rounded(.down))
            if let last = out.last, last.slot == slot {
                last.accumulator.add(window.accumulator)
                last.end = max(last.end, window.end)
            } else {
                let merged = TimeWindow(slot: slot, start: Double(slot) * seconds, accumulator: window.accumulator)
                merged.end = window.end
                out.append(merged)
            }
        }
        return out
    }
}
