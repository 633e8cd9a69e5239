/// One finished file of a scan.
public struct ScanResult: Sendable, Equatable {
    /// The file's position in the scan (submission order, from 0).
    public var ordinal: Int
    public var path: String
    public var outcome: ScanOutcome
    /// How many claims the job took (more than one: a worker died or lost its lease).
    public var attempts: Int

    public init(ordinal: Int, path: String, outcome: ScanOutcome, attempts: Int) {
        self.ordinal = ordinal
        self.path = path
        self.outcome = outcome
        self.attempts = attempts
    }
}
