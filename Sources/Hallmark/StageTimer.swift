import Foundation

/// Wall time per stage of a job, printed to stderr when `HALLMARK_TIMING` is set.
final class StageTimer {
    private let started = Date()
    private var last = Date()
    private var laps: [(String, Double)] = []

    /// Ends the current stage under `name`.
    func lap(_ name: String) {
        let now = Date()
        laps.append((name, now.timeIntervalSince(last)))
        last = now
    }

    var elapsed: Double { Date().timeIntervalSince(started) }

    func report() {
        guard ProcessInfo.processInfo.environment["HALLMARK_TIMING"] != nil else { return }
        let line = laps.map { String(format: "%@ %.3fs", $0.0, $0.1) }.joined(separator: ", ")
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}
