/// Admission control for the verifying endpoints: at most `jobs` verifications run at once and
/// at most `queue` more requests are admitted (receiving their upload or waiting for a job).
/// A request that finds every place taken is refused at once (429) before its body is read, so
/// memory and temporary disk stay bounded however many clients arrive.
actor JobLimiter {
    let jobs: Int
    let queue: Int
    private(set) var admitted = 0
    private(set) var running = 0
    private var waiters: [(id: Int, continuation: CheckedContinuation<Bool, Never>)] = []
    private var nextWaiter = 0
    private let onChange: @Sendable (_ waiting: Int, _ running: Int) -> Void

    init(jobs: Int, queue: Int, onChange: @escaping @Sendable (_ waiting: Int, _ running: Int) -> Void = { _, _ in }) {
        self.jobs = jobs
        self.queue = queue
        self.onChange = onChange
    }

    /// Takes a place, or returns false when all `jobs + queue` are taken. Every true must be
    /// matched by one `leave()`.
    func admit() -> Bool {
        guard admitted < jobs + queue else { return false }
        admitted += 1
        report()
        return true
    }

    /// Gives back an admitted request's place.
    func leave() {
        admitted -= 1
        report()
    }

    /// Runs `body` once one of the `jobs` is free (the caller must have been admitted).
    /// Throws `CancellationError` if the task is cancelled while waiting.
    nonisolated func withJob<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        try await acquire()
        do {
            let result = try await body()
            await release()
            return result
        } catch {
            await release()
            throw error
        }
    }

    private func acquire() async throws {
        if running < jobs {
            running += 1
            report()
            return
        }
        let id = nextWaiter
        nextWaiter += 1
        let granted = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                if Task.isCancelled {
                    continuation.resume(returning: false)
                } else {
                    waiters.append((id, continuation))
                }
            }
        } onCancel: {
            Task { await self.cancelWaiter(id) }
        }
        guard granted else { throw CancellationError() }
    }

    private func release() {
        if waiters.isEmpty {
            running -= 1
        } else {
            // The job passes straight to the oldest waiter: `running` stays the same.
            waiters.removeFirst().continuation.resume(returning: true)
        }
        report()
    }

    private func cancelWaiter(_ id: Int) {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else { return }
        waiters.remove(at: index).continuation.resume(returning: false)
    }

    private func report() {
        onChange(admitted - running, running)
    }
}
