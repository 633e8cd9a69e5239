/// A failure the command line turns into one line and an exit code.
public struct HallmarkError: Error, CustomStringConvertible, Sendable {
    public enum Kind: Sendable {
        /// The input file cannot be used (missing, not media, truncated, no video, absurd).
        case invalidInput
        /// The output or registry cannot be written.
        case cannotWrite
        /// The watermark key or registry is missing or not valid.
        case configuration
        /// Interrupted by the user.
        case cancelled
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
