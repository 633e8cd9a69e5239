/// Which encoder to use and how: a libavcodec encoder name plus its private options.
public struct EncoderSettings: Sendable, Equatable {
    /// libavcodec encoder name: "libx264", "libx265", "libvpx-vp9", "libsvtav1", "mjpeg", ...
    public var codec: String
    /// Encoder options, exactly as `ffmpeg -crf 18 -preset medium` would set them.
    public var options: [String: String]
    /// Pixel format the encoder receives.
    public var pixelFormat: String
    /// Fixed quantiser scale (for MJPEG-like encoders that use `-q:v`), nil otherwise.
    public var quantizerScale: Int?

    public init(codec: String, options: [String: String] = [:], pixelFormat: String = "yuv420p", quantizerScale: Int? = nil) {
        self.codec = codec
        self.options = options
        self.pixelFormat = pixelFormat
        self.quantizerScale = quantizerScale
    }

    /// H.264 through libx264, the default for stamped clips.
    public static func h264(crf: Int = 18, preset: String = "medium") -> EncoderSettings {
        EncoderSettings(codec: "libx264", options: ["crf": String(crf), "preset": preset])
    }
}
