/// What the demuxer says about a file's video stream.
public struct VideoInfo: Sendable, Codable, Equatable {
    public var width: Int
    public var height: Int
    /// Average frame rate in frames per second (0 when unknown).
    public var frameRate: Double
    /// Duration in seconds (0 when unknown).
    public var duration: Double
    public var codec: String
    /// Display rotation in degrees (counter-clockwise, as the display matrix says), 0 when none.
    public var rotation: Double
    public var audioStreams: Int
    public var container: String
    /// False when the file ended early (truncated, or still being copied): see `incompleteness`.
    public var complete: Bool = true
    public var incompleteness: String? = nil
}

/// Limits that keep hostile headers from driving allocations.
public enum MediaLimits {
    /// Largest accepted side of a frame: 16K.
    public static let maximumSide = 16_384
    /// Largest accepted frame area: 8K UHD.
    public static let maximumArea = 7_680 * 4_320
}
