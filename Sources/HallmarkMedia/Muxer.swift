internal import CFFmpeg
import Foundation

/// An output file: the container muxer and its streams.
final class Muxer {
    let format: UnsafeMutablePointer<AVFormatContext>
    private var headerWritten = false
    private var ioOpen = false

    init(url: URL) throws {
        var context: UnsafeMutablePointer<AVFormatContext>? = nil
        let created = avformat_alloc_output_context2(&context, nil, nil, url.path)
        guard created >= 0, let context else {
            throw MediaError(.output, "\(url.path): cannot choose a container from the file name (use .mp4, .mov, .mkv or .webm)")
        }
        self.format = context
        if context.pointee.oformat.pointee.flags & AVFMT_NOFILE == 0 {
            let opened = avio_open(&context.pointee.pb, url.path, AVIO_FLAG_WRITE)
            if opened < 0 {
                avformat_free_context(context)
                throw MediaError(.output, "\(url.path): cannot write (\(ffmpegErrorText(opened)))")
            }
            ioOpen = true
        }
    }

    deinit {
        if ioOpen { avio_closep(&format.pointee.pb) }
        avformat_free_context(format)
    }

    var needsGlobalHeader: Bool { format.pointee.oformat.pointee.flags & AVFMT_GLOBALHEADER != 0 }
    var isMP4Family: Bool {
        let name = String(cString: format.pointee.oformat.pointee.name)
        return name == "mp4" || name == "mov"
    }

    /// Whether this container can carry `codec` (for stream copy).
    func accepts(_ codec: AVCodecID) -> Bool {
        avformat_query_codec(format.pointee.oformat, codec, FF_COMPLIANCE_NORMAL) == 1
    }

    func addStream() throws -> UnsafeMutablePointer<AVStream> {
        guard let stream = avformat_new_stream(format, nil) else { throw MediaError(.output, "cannot add an output stream") }
        return stream
    }

    /// Writes the header; MP4/MOV get their `moov` box moved to the front on close (faststart).
    func writeHeader() throws {
        var options: OpaquePointer? = nil
        if isMP4Family { av_dict_set(&options, "movflags", "+faststart", 0) }
        defer { av_dict_free(&options) }
        try check(avformat_write_header(format, &options), .output, "cannot write the container header")
        headerWritten = true
    }

    func write(_ packet: UnsafeMutablePointer<AVPacket>) throws {
        try check(av_interleaved_write_frame(format, packet), .output, "cannot write to the output")
    }

    func finish() throws {
        guard headerWritten else { return }
        try check(av_write_trailer(format), .output, "cannot finish the output")
        headerWritten = false
    }
}
