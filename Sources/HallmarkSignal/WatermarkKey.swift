/// The secret that keys every pseudo-random choice of the spectral watermark.
///
/// Its bytes never appear in `description`, logs or reports: printing a key prints `<redacted>`.
public struct WatermarkKey: Sendable, Equatable, CustomStringConvertible {
    public static let byteCount = 32
    public let bytes: [UInt8]

    public init?(bytes: [UInt8]) {
        guard bytes.count == Self.byteCount else { return nil }
        self.bytes = bytes
    }

    /// A fresh random key from the system's cryptographic generator.
    public static func generate() -> WatermarkKey {
        var generator = SystemRandomNumberGenerator()
        return WatermarkKey(bytes: (0..<byteCount).map { _ in UInt8.random(in: .min ... .max, using: &generator) })!
    }

    public var description: String { "WatermarkKey(<redacted>)" }
}
