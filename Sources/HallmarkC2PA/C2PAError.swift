import HallmarkCrypto

/// A failure to read, build, sign or embed a manifest, with a one-line message.
public struct C2PAError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Code: String, Sendable {
        case cbor, jumbf, bmff, cose, manifest, certificate, key, io, unsupported, limit
        /// What was to be created already exists.
        case exists
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }

    /// Wraps an error from HallmarkCrypto or Foundation.
    static func wrap(_ error: any Error, as code: Code) -> C2PAError {
        if let error = error as? C2PAError { return error }
        if let error = error as? CryptoError { return C2PAError(code, error.description) }
        return C2PAError(code, "\(error)")
    }
}
