internal import CFFmpeg

/// A frame rate as a fraction (24, 30000/1001).
public struct FrameRate: Sendable, Equatable, CustomStringConvertible {
    public var numerator: Int
    public var denominator: Int

    public init(_ numerator: Int, _ denominator: Int = 1) {
        self.numerator = numerator
        self.denominator = denominator
    }

    /// `24`, `30000/1001` or `29.97`; nil for anything else, or a rate not above zero or above 1000.
    public init?(parsing text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        if parts.count == 2, let n = Int(parts[0]), let d = Int(parts[1]), n > 0, d > 0 {
            self.init(n, d)
        } else if parts.count == 1, let n = Int(text), n > 0 {
            self.init(n)
        } else if parts.count == 1, let value = Double(text), value.isFinite, value > 0 {
            let q = av_d2q(value, 1_001_000)
            self.init(Int(q.num), Int(q.den))
        } else {
            return nil
        }
        guard Double(numerator) / Double(denominator) <= 1000 else { return nil }
    }

    public var framesPerSecond: Double { Double(numerator) / Double(denominator) }
    public var description: String { denominator == 1 ? "\(numerator)" : "\(numerator)/\(denominator)" }
    var rational: AVRational { AVRational(num: Int32(numerator), den: Int32(denominator)) }
}

/// Uncompressed frames as a generator writes them: size, FFmpeg pixel format and rate. Each
/// frame is its planes one after the other, rows without padding (FFmpeg's `rawvideo`).
public struct RawVideoFormat: Sendable, Equatable {
    public let width: Int
    public let height: Int
    /// An FFmpeg pixel format name: yuv420p, rgb24, gray, nv12, ...
    public let pixelFormat: String
    public let frameRate: FrameRate
    /// Bytes in one frame.
    public let frameByteCount: Int

    /// - Throws: `invalidInput` for a size beyond the limits, a pixel format FFmpeg does not know
    ///   (or one that is not stored in memory, such as hardware surfaces), or a rate out of range.
    public init(width: Int, height: Int, pixelFormat: String = "yuv420p", frameRate: FrameRate) throws {
        guard width > 0, height > 0, width <= MediaLimits.maximumSide, height <= MediaLimits.maximumSide,
              width * height <= MediaLimits.maximumArea else {
            throw MediaError(.invalidInput, "frame size \(width)x\(height) is not between 1x1 and the supported maximum (8K)")
        }
        let format = av_get_pix_fmt(pixelFormat)
        guard format != AV_PIX_FMT_NONE, let descriptor = av_pix_fmt_desc_get(format),
              descriptor.pointee.flags & UInt64(AV_PIX_FMT_FLAG_HWACCEL | AV_PIX_FMT_FLAG_BITSTREAM) == 0 else {
            throw MediaError(.invalidInput, "unknown pixel format '\(pixelFormat)' (see `ffmpeg -pix_fmts`)")
        }
        guard frameRate.numerator > 0, frameRate.denominator > 0, frameRate.numerator <= Int(Int32.max),
              frameRate.denominator <= Int(Int32.max), frameRate.framesPerSecond <= 1000 else {
            throw MediaError(.invalidInput, "frame rate \(frameRate) is out of range")
        }
        let size = av_image_get_buffer_size(format, Int32(width), Int32(height), 1)
        guard size > 0 else {
            throw MediaError(.invalidInput, "pixel format \(pixelFormat) cannot hold \(width)x\(height) frames")
        }
        self.width = width
        self.height = height
        self.pixelFormat = pixelFormat
        self.frameRate = frameRate
        self.frameByteCount = Int(size)
    }

    /// `640x360` as width and height; nil when it is not two positive numbers around an x.
    public static func parseSize(_ text: String) -> (width: Int, height: Int)? {
        let parts = text.lowercased().split(separator: "x", omittingEmptySubsequences: false)
        guard parts.count == 2, let w = Int(parts[0]), let h = Int(parts[1]), w > 0, h > 0 else { return nil }
        return (w, h)
    }

    var avPixelFormat: AVPixelFormat { av_get_pix_fmt(pixelFormat) }
}
