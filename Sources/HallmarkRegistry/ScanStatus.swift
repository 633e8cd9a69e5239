/// Where a scan stands: how many of its files are in each state.
public struct ScanStatus: Sendable, Equatable, Codable {
    public var scanId: String
    public var files: Int
    public var queued: Int
    public var running: Int
    public var done: Int
    public var failed: Int
    /// Jobs marked running whose lease has expired (a worker died): they are claimed again.
    public var expiredLeases: Int

    public var finished: Bool { done + failed == files }

    public init(scanId: String, files: Int, queued: Int, running: Int, done: Int, failed: Int, expiredLeases: Int) {
        self.scanId = scanId
        self.files = files
        self.queued = queued
        self.running = running
        self.done = done
        self.failed = failed
        self.expiredLeases = expiredLeases
    }
}
