internal import CFFmpeg

/// A video encoder context configured from the filtered stream's geometry and timing.
final class VideoEncoder {
    let context: UnsafeMutablePointer<AVCodecContext>
    private let packet: UnsafeMutablePointer<AVPacket>

    init(settings: EncoderSettings, width: Int32, height: Int32, timeBase: AVRational, frameRate: AVRational,
         sampleAspectRatio: AVRational, colors: ColorDescription, globalHeader: Bool) throws {
        guard let codec = avcodec_find_encoder_by_name(settings.codec) else {
            throw MediaError(.unsupported, "encoder \(settings.codec) is not available in this FFmpeg build")
        }
        guard let context = avcodec_alloc_context3(codec) else {
            throw MediaError(.unsupported, "cannot allocate encoder \(settings.codec)")
        }
        self.context = context
        self.packet = av_packet_alloc()
        context.pointee.width = width
        context.pointee.height = height
        context.pointee.time_base = timeBase
        if frameRate.num > 0 && frameRate.den > 0 { context.pointee.framerate = frameRate }
        context.pointee.sample_aspect_ratio = sampleAspectRatio
        context.pointee.pix_fmt = av_get_pix_fmt(settings.pixelFormat)
        context.pointee.thread_count = 0
        colors.apply(to: context)
        if globalHeader { context.pointee.flags |= Int32(AV_CODEC_FLAG_GLOBAL_HEADER) }
        if let q = settings.quantizerScale {
            context.pointee.flags |= Int32(AV_CODEC_FLAG_QSCALE)
            context.pointee.global_quality = Int32(q) * FF_QP2LAMBDA
        }
        var dictionary: OpaquePointer? = nil
        for (key, value) in settings.options { av_dict_set(&dictionary, key, value, 0) }
        defer { av_dict_free(&dictionary) }
        let opened = avcodec_open2(context, codec, &dictionary)
        if opened < 0 {
            var c: UnsafeMutablePointer<AVCodecContext>? = context
            avcodec_free_context(&c)
            var p: UnsafeMutablePointer<AVPacket>? = packet
            av_packet_free(&p)
            throw MediaError(.unsupported, "cannot open encoder \(settings.codec) with \(settings.options): \(ffmpegErrorText(opened))")
        }
        if let leftover = av_dict_get(dictionary, "", nil, AV_DICT_IGNORE_SUFFIX) {
            let name = String(cString: leftover.pointee.key)
            var c: UnsafeMutablePointer<AVCodecContext>? = context
            avcodec_free_context(&c)
            var p: UnsafeMutablePointer<AVPacket>? = packet
            av_packet_free(&p)
            throw MediaError(.unsupported, "encoder \(settings.codec) has no option '\(name)'")
        }
    }

    deinit {
        var c: UnsafeMutablePointer<AVCodecContext>? = context
        avcodec_free_context(&c)
        var p: UnsafeMutablePointer<AVPacket>? = packet
        av_packet_free(&p)
    }

    /// Encodes one frame (nil flushes) and hands every finished packet to `write`.
    func encode(_ frame: UnsafeMutablePointer<AVFrame>?, write: (UnsafeMutablePointer<AVPacket>) throws -> Void) throws {
        if let frame { frame.pointee.pict_type = AV_PICTURE_TYPE_NONE }
        let sent = avcodec_send_frame(context, frame)
        if sent < 0 && sent != errorEOF { try check(sent, .output, "encoding failed") }
        while true {
            let received = avcodec_receive_packet(context, packet)
            if received == errorAgain || received == errorEOF { return }
            try check(received, .output, "encoding failed")
            defer { av_packet_unref(packet) }
            try write(packet)
        }
    }
}

/// Colour metadata carried from the decoder to the encoder unchanged.
struct ColorDescription {
    var range: AVColorRange
    var primaries: AVColorPrimaries
    var transfer: AVColorTransferCharacteristic
    var space: AVColorSpace
    var chromaLocation: AVChromaLocation

    /// Nothing said: the encoder writes no colour description (as for raw frames with none).
    static let unspecified = ColorDescription(range: AVCOL_RANGE_UNSPECIFIED, primaries: AVCOL_PRI_UNSPECIFIED,
                                              transfer: AVCOL_TRC_UNSPECIFIED, space: AVCOL_SPC_UNSPECIFIED,
                                              chromaLocation: AVCHROMA_LOC_UNSPECIFIED)

    init(range: AVColorRange, primaries: AVColorPrimaries, transfer: AVColorTransferCharacteristic,
         space: AVColorSpace, chromaLocation: AVChromaLocation) {
        self.range = range
        self.primaries = primaries
        self.transfer = transfer
        self.space = space
        self.chromaLocation = chromaLocation
    }

    init(_ decoder: UnsafeMutablePointer<AVCodecContext>) {
        range = decoder.pointee.color_range
        primaries = decoder.pointee.color_primaries
        transfer = decoder.pointee.color_trc
        space = decoder.pointee.colorspace
        chromaLocation = decoder.pointee.chroma_sample_location
    }

    func apply(to encoder: UnsafeMutablePointer<AVCodecContext>) {
        encoder.pointee.color_range = range
        encoder.pointee.color_primaries = primaries
        encoder.pointee.color_trc = transfer
        encoder.pointee.colorspace = space
        encoder.pointee.chroma_sample_location = chromaLocation
    }
}
