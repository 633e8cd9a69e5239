internal import CFFmpeg

/// A failure in the media layer, with one line a person can read.
public struct MediaError: Error, CustomStringConvertible, Sendable {
    public enum Kind: Sendable {
        /// The input cannot be opened or parsed as media (missing, not a video, truncated, hostile).
        case invalidInput
        /// The input is readable but has no video stream to work on.
        case noVideo
        /// Encoding or writing the output failed.
        case output
        /// The operation was cancelled (Ctrl-C).
        case cancelled
        /// A codec or filter this build needs is not available.
        case unsupported
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}

/// FFmpeg's own text for an error code, e.g. "Invalid data found when processing input".
func ffmpegErrorText(_ code: Int32) -> String {
    var buffer = [CChar](repeating: 0, count: 256)
    _ = cffmpeg_error_string(code, &buffer, buffer.count)
    let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
    return String(decoding: bytes, as: UTF8.self)
}

/// Throws a `MediaError` of `kind` when an FFmpeg call returned a negative code.
@discardableResult
func check(_ code: Int32, _ kind: MediaError.Kind, _ what: @autoclosure () -> String) throws -> Int32 {
    if code < 0 { throw MediaError(kind, "\(what()): \(ffmpegErrorText(code))") }
    return code
}

let errorEOF = cffmpeg_averror_eof()
let errorAgain = cffmpeg_eagain()
let noTimestamp = cffmpeg_nopts()

/// Quietens FFmpeg's own console logging unless HALLMARK_FFMPEG_LOG is set:
/// our errors carry FFmpeg's message already and scripts want one line.
public enum MediaLogging {
    public static func configure() {
        // SVT-AV1 and x265 log through their own channels; keep them to errors.
        setenv("SVT_LOG", "1", 0)
        if let level = getenv("HALLMARK_FFMPEG_LOG").map({ String(cString: $0) }), !level.isEmpty {
            av_log_set_level(AV_LOG_INFO)
        } else {
            av_log_set_level(AV_LOG_QUIET)
        }
    }
}

/// The libavformat version this build runs with, e.g. "59.27.100".
public var ffmpegVersion: String {
    let v = avformat_version()
    return "libavformat \(v >> 16).\((v >> 8) & 0xff).\(v & 0xff)"
}
