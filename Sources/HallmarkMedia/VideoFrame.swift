internal import CFFmpeg

/// A decoded picture that owns its `AVFrame`.
///
/// Frames handed out by `FrameReader` and to `Transcoder` processors are 8-bit with the luma
/// plane first (yuv420p and friends, or gray), so `withLuma` gives the Y plane directly.
public final class VideoFrame {
    let frame: UnsafeMutablePointer<AVFrame>
    /// Seconds from the start of the stream (0 when the input had no timestamps).
    public let time: Double

    init(taking frame: UnsafeMutablePointer<AVFrame>, time: Double) {
        self.frame = frame
        self.time = time
    }

    deinit {
        var pointer: UnsafeMutablePointer<AVFrame>? = frame
        av_frame_free(&pointer)
    }

    /// A new frame with its own buffers (contents undefined), for pictures we make ourselves.
    static func allocate(width: Int, height: Int, pixelFormat: AVPixelFormat) throws -> VideoFrame {
        guard let frame = av_frame_alloc() else { throw MediaError(.unsupported, "cannot allocate a frame") }
        let owned = VideoFrame(taking: frame, time: 0)
        frame.pointee.width = Int32(width)
        frame.pointee.height = Int32(height)
        frame.pointee.format = pixelFormat.rawValue
        try check(av_frame_get_buffer(frame, 0), .unsupported, "cannot allocate a \(width)x\(height) frame")
        return owned
    }

    public var width: Int { Int(frame.pointee.width) }
    public var height: Int { Int(frame.pointee.height) }

    /// Read-only access to the luma plane: base pointer and stride in bytes.
    public func withLuma<R>(_ body: (UnsafePointer<UInt8>, Int) throws -> R) rethrows -> R {
        try body(UnsafePointer(frame.pointee.data.0!), Int(frame.pointee.linesize.0))
    }

    /// Writable access to the luma plane (the frame is made writable first if it is shared).
    public func withMutableLuma<R>(_ body: (UnsafeMutablePointer<UInt8>, Int) throws -> R) throws -> R {
        try check(av_frame_make_writable(frame), .output, "cannot make a frame writable")
        return try body(frame.pointee.data.0!, Int(frame.pointee.linesize.0))
    }

    /// The picture as raw video stores it: its planes one after the other, rows without padding
    /// (`av_image_copy_to_buffer` with alignment 1), written over `buffer`.
    public func packedBytes(into buffer: inout [UInt8]) throws {
        let format = AVPixelFormat(rawValue: frame.pointee.format)
        let size = try check(av_image_get_buffer_size(format, frame.pointee.width, frame.pointee.height, 1),
                             .unsupported, "cannot lay out a frame of this pixel format")
        if buffer.count != Int(size) { buffer = [UInt8](repeating: 0, count: Int(size)) }
        _ = try buffer.withUnsafeMutableBufferPointer { out in
            try withUnsafePointer(to: frame.pointee.data) { data in
                try withUnsafePointer(to: frame.pointee.linesize) { lines in
                    try data.withMemoryRebound(to: UnsafePointer<UInt8>?.self, capacity: 8) { planes in
                        try lines.withMemoryRebound(to: Int32.self, capacity: 8) { strides in
                            try check(av_image_copy_to_buffer(out.baseAddress, size, planes, strides, format,
                                                              frame.pointee.width, frame.pointee.height, 1),
                                      .unsupported, "cannot copy a frame")
                        }
                    }
                }
            }
        }
    }
}
