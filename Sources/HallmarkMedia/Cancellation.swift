import Synchronization

/// A flag a long media loop polls, set from a signal handler or another task.
public final class Cancellation: Sendable {
    private let flag = Atomic<Bool>(false)

    public init() {}

    public func cancel() { flag.store(true, ordering: .relaxed) }
    public var isCancelled: Bool { flag.load(ordering: .relaxed) }

    func checkCancelled() throws {
        if isCancelled { throw MediaError(.cancelled, "cancelled") }
    }
}
