import Dispatch

/// Where verifications run: a task executor on Dispatch's worker threads, so the CPU-bound
/// decode and detection (synchronous loops inside `Verifier.analyse`) never occupy the Swift
/// cooperative pool that serves requests, nor the NIO event loops. Every child task of the
/// verification (the manifest check, the window detections) inherits this preference.
final class VerifyExecutor: TaskExecutor {
    private let queue = DispatchQueue(label: "hallmark.verify", qos: .userInitiated, attributes: .concurrent)

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        queue.async { job.runSynchronously(on: executor) }
    }

    /// Runs `body` with this executor preferred for it and all its child tasks.
    func run<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        try await withTaskExecutorPreference(self) { try await body() }
    }
}
