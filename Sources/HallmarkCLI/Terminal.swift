import Foundation
import Synchronization
import HallmarkMedia
import Hallmark

/// Console output: errors, and a progress bar when stderr is a terminal.
enum Terminal {
    static let isInteractive = isatty(STDERR_FILENO) == 1
    private static let progressShown = Atomic<Bool>(false)

    static func error(_ message: String) {
        FileHandle.standardError.write(Data("hallmark: error: \(message)\n".utf8))
    }

    static func warning(_ message: String) {
        FileHandle.standardError.write(Data("hallmark: warning: \(message)\n".utf8))
    }

    /// A progress callback drawing `label [#####     ] 42%` on stderr, or nil when not on a terminal.
    static func progressBar(_ label: String) -> ((Double) -> Void)? {
        guard isInteractive else { return nil }
        return { fraction in
            FileHandle.standardError.write(Data("\r\(progressLine(label, fraction))".utf8))
            progressShown.store(true, ordering: .relaxed)
        }
    }

    /// `label [#####     ] 42%`. Hostile timestamps can make a fraction negative, huge or NaN:
    /// it is clamped to 0...1.
    static func progressLine(_ label: String, _ value: Double) -> String {
        let fraction = value.isFinite ? min(1, max(0, value)) : 0
        let width = 30
        let filled = Int((fraction * Double(width)).rounded())
        let bar = String(repeating: "#", count: filled) + String(repeating: " ", count: width - filled)
        return "\(label) [\(bar)] \(Int(fraction * 100))%"
    }

    static func clearProgress() {
        if progressShown.exchange(false, ordering: .relaxed) {
            FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
        }
    }

    /// Ctrl-C and SIGTERM cancel the running job: it stops, removes its temporary output and exits 130.
    static func cancelOnInterrupt() -> Cancellation {
        let cancellation = Cancellation()
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler {
                if cancellation.isCancelled {
                    // A second interrupt: leave at once, still without partial files.
                    AtomicOutput.removeAllPending()
                    exit(130)
                }
                cancellation.cancel()
            }
            source.resume()
            signalSources.append(source)
        }
        return cancellation
    }

    /// Kept alive for the life of the process. Appended to only by `cancelOnInterrupt`, which a
    /// command calls once, first thing; dispatch sources are not Sendable, hence the exception.
    nonisolated(unsafe) private static var signalSources: [DispatchSourceSignal] = []
}
