import Dispatch

/// A task executor with a serial dispatch queue (so a thread) of its own, outside the
/// cooperative pool.
///
/// The cooperative pool has one thread per core, and a verify holds its thread for the whole
/// decode (the decoder is synchronous). A lease heartbeat scheduled there could wait for minutes
/// and let its lease expire under a worker that is alive; run as a child task with this
/// executor as its preference (`addTask(executorPreference:)`), it stays structured yet runs on
/// time. A job on it may block (that blocks this executor only); it must then not share the
/// executor with other work.
public final class DedicatedThreadExecutor: TaskExecutor, Sendable {
    private let queue: DispatchQueue

    public init(label: String) {
        queue = DispatchQueue(label: label, qos: .userInitiated)
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        queue.async { job.runSynchronously(on: executor) }
    }
}
