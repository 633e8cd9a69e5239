/// How a job ended, as its worker writes it.
public enum ScanOutcome: Sendable, Equatable {
    /// The verify report, as one line of JSON (exactly what `verify --format json` prints).
    case report(String)
    /// The file could not be verified; one line saying why.
    case failed(String)
}
