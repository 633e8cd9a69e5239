import Foundation
import HallmarkMedia

/// Retries an operation on a database that may be restarting: exponential delays from
/// `initial` to `maximum` seconds, one line through `log` per failed attempt and one when it
/// works again, for as long as it takes (until `cancellation`).
public struct RetryBackoff: Sendable {
    public var initial: Double = 0.25
    public var maximum: Double = 8
    public let log: @Sendable (String) -> Void

    public init(initial: Double = 0.25, maximum: Double = 8, log: @escaping @Sendable (String) -> Void) {
        self.initial = initial
        self.maximum = maximum
        self.log = log
    }

    /// `body`'s value once it succeeds. Throws only `CancellationError`, when `cancellation` is
    /// set (checked between attempts).
    public func run<T>(_ what: String, cancellation: Cancellation?, _ body: () throws -> T) async throws -> T {
        var delay = initial
        var failures = 0
        while true {
            do {
                let value = try body()
                if failures > 0 { log("\(what): the registry answers again (after \(failures) failed attempt\(failures == 1 ? "" : "s"))") }
                return value
            } catch {
                failures += 1
                if cancellation?.isCancelled == true || Task.isCancelled { throw CancellationError() }
                log("\(what) failed: \(error); retrying in \(Self.seconds(delay))")
                try await Task.sleep(for: .milliseconds(Int(delay * 1000)))
                delay = min(maximum, delay * 2)
            }
        }
    }

    public static func seconds(_ value: Double) -> String {
        value < 10 && value != value.rounded() ? String(format: "%.2g s", value) : String(format: "%.0f s", value)
    }
}
