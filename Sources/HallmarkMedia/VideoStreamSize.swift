internal import CFFmpeg
import Foundation

/// The bytes of a file's video stream and its duration, read packet by packet (no decoding):
/// the figure a platform pays for in storage and delivery, without audio or container overhead.
public struct VideoStreamSize: Sendable, Equatable {
    /// Sum of the video stream's packet sizes.
    public var bytes: Int64
    public var packets: Int
    /// Seconds from the first packet's presentation time to the last one's end.
    public var seconds: Double

    /// Bits per second of the video stream (0 for an empty stream).
    public var bitsPerSecond: Double { seconds > 0 ? Double(bytes) * 8 / seconds : 0 }

    public init(bytes: Int64, packets: Int, seconds: Double) {
        self.bytes = bytes
        self.packets = packets
        self.seconds = seconds
    }

    /// Reads every packet of the best video stream of `url`.
    public init(of url: URL) throws {
        let input = try MediaInput(url: url)
        let packet = av_packet_alloc()!
        defer { var p: UnsafeMutablePointer<AVPacket>? = packet; av_packet_free(&p) }
        let timeBase = av_q2d(input.videoStream.pointee.time_base)
        var bytes: Int64 = 0, packets = 0
        var first = Int64.max, end = Int64.min
        while av_read_frame(input.format, packet) >= 0 {
            defer { av_packet_unref(packet) }
            guard packet.pointee.stream_index == input.videoStreamIndex else { continue }
            bytes += Int64(packet.pointee.size)
            packets += 1
            let pts = packet.pointee.pts != noTimestamp ? packet.pointee.pts : packet.pointee.dts
            if pts != noTimestamp {
                first = min(first, pts)
                end = max(end, pts + max(0, packet.pointee.duration))
            }
        }
        let seconds = first <= end ? Double(end - first) * timeBase : input.info.duration
        self.init(bytes: bytes, packets: packets, seconds: seconds)
    }
}
