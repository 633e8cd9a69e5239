internal import CFFmpeg
import Foundation

/// Encodes still images with libavcodec (for report thumbnails).
public enum ImageEncoder {
    /// A PNG of an 8-bit grey image.
    public static func png(gray: [UInt8], width: Int, height: Int) throws -> Data {
        guard width > 0, height > 0, gray.count >= width * height else { throw MediaError(.output, "empty image") }
        guard let codec = avcodec_find_encoder(AV_CODEC_ID_PNG), let context = avcodec_alloc_context3(codec) else {
            throw MediaError(.unsupported, "no PNG encoder in this FFmpeg build")
        }
        var ownedContext: UnsafeMutablePointer<AVCodecContext>? = context
        defer { avcodec_free_context(&ownedContext) }
        context.pointee.width = Int32(width)
        context.pointee.height = Int32(height)
        context.pointee.pix_fmt = AV_PIX_FMT_GRAY8
        context.pointee.time_base = AVRational(num: 1, den: 1)
        try check(avcodec_open2(context, codec, nil), .output, "cannot open the PNG encoder")
        let image = try VideoFrame.allocate(width: width, height: height, pixelFormat: AV_PIX_FMT_GRAY8)
        let frame = image.frame
        defer { withExtendedLifetime(image) {} }  // `frame` is only borrowed from it
        let stride = Int(frame.pointee.linesize.0)
        gray.withUnsafeBufferPointer { source in
            for y in 0..<height {
                (frame.pointee.data.0! + y * stride).update(from: source.baseAddress! + y * width, count: width)
            }
        }
        // One frame in, then flush: the encoder hands back the whole file as packets.
        try check(avcodec_send_frame(context, frame), .output, "PNG encoding failed")
        avcodec_send_frame(context, nil)
        guard let packet = av_packet_alloc() else { throw MediaError(.output, "cannot allocate a packet") }
        var ownedPacket: UnsafeMutablePointer<AVPacket>? = packet
        defer { av_packet_free(&ownedPacket) }
        var out = Data()
        while avcodec_receive_packet(context, packet) >= 0 {
            out.append(packet.pointee.data, count: Int(packet.pointee.size))
            av_packet_unref(packet)
        }
        return out
    }
}
