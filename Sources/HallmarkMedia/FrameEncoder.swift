internal import CFFmpeg
import Foundation

/// Encodes frames a program hands over one by one (raw bytes in a `RawVideoFormat`) through a
/// filter, per-frame processing and an encoder into a file: `Transcoder` without the decoding.
///
/// Timestamps are seconds from the start and must increase; they are kept to 1/90000 s.
public final class FrameEncoder {
    public let format: RawVideoFormat
    private let pipeline: EncodePipeline
    private let staging: VideoFrame
    private var lastTimestamp: Int64?
    private static let timeBase = AVRational(num: 1, den: 90_000)

    public var framesEncoded: Int { pipeline.framesEncoded }

    /// - Parameters:
    ///   - filter: libavfilter description applied to every frame ("null" for none).
    ///   - process: called with each filtered frame before it is encoded; it may change the luma plane.
    public init(output: URL, format: RawVideoFormat, filter: String = "null", encoder settings: EncoderSettings,
                process: ((VideoFrame) throws -> Void)? = nil) throws {
        MediaLogging.configure()
        self.format = format
        pipeline = try EncodePipeline(
            output: output, filter: filter, settings: settings, timeBase: Self.timeBase,
            frameRate: format.frameRate.rational, colors: .unspecified,
            sampleAspectRatio: AVRational(num: 1, den: 1), template: nil, process: process)
        staging = try VideoFrame.allocate(width: format.width, height: format.height, pixelFormat: format.avPixelFormat)
    }

    /// Encodes one frame: `bytes` holds exactly `format.frameByteCount` bytes.
    public func append(_ bytes: UnsafeRawBufferPointer, at time: Double) throws {
        guard bytes.count == format.frameByteCount else {
            throw MediaError(.invalidInput, "a frame of \(bytes.count) bytes where \(format.width)x\(format.height) \(format.pixelFormat) takes \(format.frameByteCount)")
        }
        guard time.isFinite, time >= 0, time < 1e9 else { throw MediaError(.invalidInput, "frame time \(time) is not a time from the start") }
        let timestamp = Int64((time * 90_000).rounded())
        if let lastTimestamp, timestamp <= lastTimestamp {
            throw MediaError(.invalidInput, "frame times must increase (\(time) s comes after a frame at \(Double(lastTimestamp) / 90_000) s)")
        }
        lastTimestamp = timestamp
        let frame = staging.frame
        // The encoder may still hold the previous picture: write into buffers of our own.
        try check(av_frame_make_writable(frame), .output, "cannot make a frame writable")
        // The planes of the packed bytes (pointers into `bytes`), then a copy into the frame's.
        var planes: (UnsafeMutablePointer<UInt8>?, UnsafeMutablePointer<UInt8>?, UnsafeMutablePointer<UInt8>?, UnsafeMutablePointer<UInt8>?) = (nil, nil, nil, nil)
        var strides: (Int32, Int32, Int32, Int32) = (0, 0, 0, 0)
        let source = UnsafeMutablePointer(mutating: bytes.baseAddress!.assumingMemoryBound(to: UInt8.self))
        let pixelFormat = format.avPixelFormat, width = Int32(format.width), height = Int32(format.height)
        _ = try withUnsafeMutablePointer(to: &planes) { planePointer in
            try withUnsafeMutablePointer(to: &strides) { stridePointer in
                try planePointer.withMemoryRebound(to: UnsafeMutablePointer<UInt8>?.self, capacity: 4) { sourcePlanes in
                    try stridePointer.withMemoryRebound(to: Int32.self, capacity: 4) { sourceStrides in
                        try check(av_image_fill_arrays(sourcePlanes, sourceStrides, source, pixelFormat, width, height, 1),
                                  .invalidInput, "cannot lay out the frame")
                    }
                }
            }
        }
        withUnsafeMutablePointer(to: &planes) { planePointer in
            withUnsafePointer(to: &strides) { stridePointer in
                withUnsafeMutablePointer(to: &frame.pointee.data) { data in
                    withUnsafeMutablePointer(to: &frame.pointee.linesize) { lines in
                        planePointer.withMemoryRebound(to: UnsafePointer<UInt8>?.self, capacity: 4) { sourcePlanes in
                            stridePointer.withMemoryRebound(to: Int32.self, capacity: 4) { sourceStrides in
                                data.withMemoryRebound(to: UnsafeMutablePointer<UInt8>?.self, capacity: 8) { targetPlanes in
                                    lines.withMemoryRebound(to: Int32.self, capacity: 8) { targetStrides in
                                        av_image_copy(targetPlanes, targetStrides, sourcePlanes, sourceStrides, pixelFormat, width, height)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        frame.pointee.pts = timestamp
        try pipeline.push(frame)
    }

    /// Flushes the encoder and finishes the file. - Throws: when no frame was appended.
    public func finish() throws {
        try pipeline.finish(name: "the pushed frames")
    }
}
