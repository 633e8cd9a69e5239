internal import CFFmpeg

/// A clip read from standard input rather than a file: any stream FFmpeg's demuxers read from a
/// pipe (y4m, nut, ...), or raw frames, which carry no header and so need their format given.
public struct StreamInput: Sendable, Equatable {
    /// The demuxer to use (`yuv4mpegpipe`, `nut`, `rawvideo`, ...); nil: FFmpeg probes the stream.
    public var format: String?
    /// Size, pixel format and rate of raw frames (with `format` "rawvideo").
    public var rawVideo: RawVideoFormat?

    public init(format: String? = nil, rawVideo: RawVideoFormat? = nil) {
        self.format = rawVideo != nil && format == nil ? "rawvideo" : format
        self.rawVideo = rawVideo
    }

    /// Whether this FFmpeg build has a demuxer called `name` (`y4m` is taken for `yuv4mpegpipe`).
    public static func isKnownFormat(_ name: String) -> Bool {
        av_find_input_format(demuxerName(name)) != nil
    }

    static func demuxerName(_ name: String) -> String {
        name == "y4m" ? "yuv4mpegpipe" : name
    }
}
