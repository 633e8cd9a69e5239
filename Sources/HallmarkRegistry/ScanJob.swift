import Foundation

/// One file of a scan, as a worker holds it after a claim.
///
/// `claimToken` is the worker's proof of ownership: renewals and the completion name it, and
/// they change nothing once the lease has expired or another worker has claimed the job since.
public struct ScanJob: Sendable, Equatable {
    public var jobId: Int64
    public var scanId: String
    /// The file as submitted: an absolute path every worker sees at the same place.
    public var path: String
    public var claimToken: String
    /// How many times the job has been claimed, this claim included.
    public var attempts: Int

    public init(jobId: Int64, scanId: String, path: String, claimToken: String, attempts: Int) {
        self.jobId = jobId
        self.scanId = scanId
        self.path = path
        self.claimToken = claimToken
        self.attempts = attempts
    }
}
