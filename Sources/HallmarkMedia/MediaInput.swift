internal import CFFmpeg
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An opened media file: the demuxer, its best video stream and that stream's decoder.
final class MediaInput {
    let format: UnsafeMutablePointer<AVFormatContext>
    let videoStreamIndex: Int32
    let decoder: UnsafeMutablePointer<AVCodecContext>
    let info: VideoInfo
    /// The container is an image format (a PNG, a JPEG, an image sequence), not a video.
    let isStillImage: Bool
    /// Frames the container says the video stream has (0 when it does not say).
    let declaredFrames: Int
    /// Read from standard input: its end is judged by how the stream ended, not by a file size.
    let isStream: Bool
    /// How a stream that ended cleanly ends, for the containers where that can be told.
    let streamEnding: StreamEnding?

    enum StreamEnding {
        /// Frames follow one another with nothing after the last (y4m, rawvideo): reading ends
        /// where the last packet ends.
        case lastPacket
        /// Something follows the last packet (NUT's index): a stream whose last packet runs to
        /// where reading ended was cut inside that packet.
        case trailer
    }

    var videoStream: UnsafeMutablePointer<AVStream> { format.pointee.streams[Int(videoStreamIndex)]! }

    /// Opens `url`, checks the video stream's header for sanity and opens its decoder.
    /// - Parameter discardNonReference: decode only frames other frames refer to (faster, fewer frames).
    convenience init(url: URL, discardNonReference: Bool = false) throws {
        MediaLogging.configure()
        let path = url.path
        // A FIFO, socket or device would block the demuxer (or never end): regular files only.
        let status = try InputFile.status(of: path)
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw MediaError(.invalidInput, "\(path): permission denied")
        }
        if status.size == 0 { throw MediaError(.invalidInput, "\(path): empty file (0 bytes)") }

        var context: UnsafeMutablePointer<AVFormatContext>? = nil
        let opened = avformat_open_input(&context, path, nil, nil)
        guard opened >= 0, let context else {
            throw MediaError(.invalidInput, "\(path): not a readable media file (\(ffmpegErrorText(opened)))")
        }
        try self.init(opened: context, name: path, discardNonReference: discardNonReference, stream: nil)
    }

    /// Opens standard input (FFmpeg's `pipe:0`) as `stream` says.
    convenience init(stream: StreamInput) throws {
        MediaLogging.configure()
        let name = "standard input"
        if isatty(STDIN_FILENO) == 1 {
            throw MediaError(.invalidInput, "\(name) is a terminal: pipe a stream into it (generator | hallmark stamp - ...)")
        }
        var demuxer: UnsafePointer<AVInputFormat>? = nil
        if let format = stream.format {
            demuxer = av_find_input_format(StreamInput.demuxerName(format))
            guard demuxer != nil else { throw MediaError(.invalidInput, "unknown input format '\(format)'") }
        }
        var options: OpaquePointer? = nil
        defer { av_dict_free(&options) }
        if let raw = stream.rawVideo {
            av_dict_set(&options, "video_size", "\(raw.width)x\(raw.height)", 0)
            av_dict_set(&options, "pixel_format", raw.pixelFormat, 0)
            av_dict_set(&options, "framerate", raw.frameRate.description, 0)
        }
        var context: UnsafeMutablePointer<AVFormatContext>? = nil
        let opened = avformat_open_input(&context, "pipe:0", demuxer, &options)
        guard opened >= 0, let context else {
            throw MediaError(.invalidInput, "\(name): not a readable media stream (\(ffmpegErrorText(opened)))")
        }
        try self.init(opened: context, name: name, discardNonReference: false, stream: stream)
    }

    /// Takes `context` (closing it when this throws), finds the best video stream and opens its decoder.
    private init(opened context: UnsafeMutablePointer<AVFormatContext>, name path: String,
                 discardNonReference: Bool, stream streamInput: StreamInput?) throws {
        var keepContext = false
        defer { if !keepContext { var c: UnsafeMutablePointer<AVFormatContext>? = context; avformat_close_input(&c) } }

        let probed = avformat_find_stream_info(context, nil)
        if probed < 0 {
            throw MediaError(.invalidInput, "\(path): cannot read stream information (\(ffmpegErrorText(probed)))")
        }
        var codec: UnsafePointer<AVCodec>? = nil
        let index = av_find_best_stream(context, AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0)
        guard index >= 0 else {
            throw MediaError(.noVideo, "\(path): no video stream")
        }
        let stream = context.pointee.streams[Int(index)]!
        let parameters = stream.pointee.codecpar!
        let width = Int(parameters.pointee.width), height = Int(parameters.pointee.height)
        guard width > 0, height > 0 else {
            throw MediaError(.invalidInput, "\(path): video stream has no frame size")
        }
        guard width <= MediaLimits.maximumSide, height <= MediaLimits.maximumSide,
              width * height <= MediaLimits.maximumArea else {
            throw MediaError(.invalidInput, "\(path): frame size \(width)x\(height) is beyond the supported maximum (8K)")
        }
        guard let codec else {
            throw MediaError(.unsupported, "\(path): no decoder for the video codec in this FFmpeg build")
        }
        guard let decoder = avcodec_alloc_context3(codec) else {
            throw MediaError(.unsupported, "cannot allocate a decoder")
        }
        var keepDecoder = false
        defer { if !keepDecoder { var d: UnsafeMutablePointer<AVCodecContext>? = decoder; avcodec_free_context(&d) } }
        try check(avcodec_parameters_to_context(decoder, parameters), .invalidInput, "\(path): bad codec parameters")
        decoder.pointee.thread_count = 0
        decoder.pointee.thread_type = FF_THREAD_FRAME | FF_THREAD_SLICE
        decoder.pointee.pkt_timebase = stream.pointee.time_base
        if discardNonReference { decoder.pointee.skip_frame = AVDISCARD_NONREF }
        try check(avcodec_open2(decoder, codec, nil), .invalidInput, "\(path): cannot open the video decoder")

        var audioStreams = 0
        for i in 0..<Int(context.pointee.nb_streams) where context.pointee.streams[i]!.pointee.codecpar.pointee.codec_type == AVMEDIA_TYPE_AUDIO {
            audioStreams += 1
        }
        let rate = stream.pointee.avg_frame_rate.den > 0 && stream.pointee.avg_frame_rate.num > 0
            ? av_q2d(stream.pointee.avg_frame_rate) : (stream.pointee.r_frame_rate.den > 0 ? av_q2d(stream.pointee.r_frame_rate) : 0)
        var duration = 0.0
        if stream.pointee.duration != noTimestamp, stream.pointee.duration > 0 {
            duration = Double(stream.pointee.duration) * av_q2d(stream.pointee.time_base)
        } else if context.pointee.duration != noTimestamp, context.pointee.duration > 0 {
            duration = Double(context.pointee.duration) / Double(AV_TIME_BASE)
        }
        var rotation = 0.0
        var sideSize: Int = 0
        if let matrix = av_stream_get_side_data(stream, AV_PKT_DATA_DISPLAYMATRIX, &sideSize), sideSize >= 36 {
            let angle = matrix.withMemoryRebound(to: Int32.self, capacity: 9) { av_display_rotation_get($0) }
            if angle.isFinite { rotation = angle == 0 ? 0 : angle }
        }
        self.format = context
        self.videoStreamIndex = index
        self.decoder = decoder
        let containerName = String(cString: context.pointee.iformat.pointee.name)
        // Image demuxers: `image2` (files by name) and `png_pipe`, `jpeg_pipe`, ... (by content).
        isStillImage = containerName == "image2" || containerName.hasSuffix("_pipe")
        isStream = streamInput != nil
        switch containerName {
        case _ where streamInput == nil: streamEnding = nil
        case "rawvideo", "yuv4mpegpipe": streamEnding = .lastPacket
        case "nut": streamEnding = .trailer
        default: streamEnding = nil
        }
        declaredFrames = Int(max(0, stream.pointee.nb_frames))
        self.info = VideoInfo(
            width: width, height: height, frameRate: rate, duration: duration,
            codec: String(cString: avcodec_get_name(parameters.pointee.codec_id)),
            rotation: rotation, audioStreams: audioStreams,
            container: containerName)
        keepContext = true
        keepDecoder = true
    }

    deinit {
        var d: UnsafeMutablePointer<AVCodecContext>? = decoder
        avcodec_free_context(&d)
        var c: UnsafeMutablePointer<AVFormatContext>? = format
        avformat_close_input(&c)
    }

    /// Seconds for a timestamp in the video stream's time base.
    func seconds(_ timestamp: Int64) -> Double {
        timestamp == noTimestamp ? 0 : Double(timestamp) * av_q2d(videoStream.pointee.time_base)
    }
}

extension DecodeLoop {
    /// Whether the whole stream was read, judged once the loop has finished: the demuxer stopped
    /// on an error rather than the end of the file, or fewer video packets arrived than the
    /// container declares.
    var completeness: MediaCompleteness {
        if let readError {
            return MediaCompleteness(isComplete: false, detail: "reading stopped after \(videoPackets) video packets: \(ffmpegErrorText(readError))")
        }
        if input.isStream {
            if corruptPackets > 0 {
                return MediaCompleteness(isComplete: false, detail: "it ended inside a packet, after \(videoPackets) video packets")
            }
            if damagedPackets > 0 {
                return MediaCompleteness(isComplete: false, detail: "\(damagedPackets) frames could not be decoded")
            }
            if let ending = input.streamEnding, let end = packetsEnd, let read = bytesRead {
                switch ending {
                case .lastPacket where read != end:
                    return MediaCompleteness(isComplete: false, detail: "it ended \(read - end) bytes into a frame, after \(videoPackets) whole frames")
                case .trailer where read <= end:
                    return MediaCompleteness(isComplete: false, detail: "it ended inside a packet, without the container's closing index")
                default: break
                }
            }
        }
        if input.declaredFrames > 0, videoPackets < input.declaredFrames {
            return MediaCompleteness(isComplete: false, detail: "\(videoPackets) of the \(input.declaredFrames) video frames the file declares are there")
        }
        return MediaCompleteness(isComplete: true, detail: nil)
    }
}

/// Reads packets from an input and turns them into decoded video frames, one at a time.
///
/// Damaged packets are skipped (as players do); a file that yields no frame at all is an error.
final class DecodeLoop {
    private let input: MediaInput
    private let packet: UnsafeMutablePointer<AVPacket>
    private var draining = false
    private var finished = false
    private(set) var decodedFrames = 0
    private(set) var damagedPackets = 0
    /// Video packets the demuxer delivered.
    private(set) var videoPackets = 0
    /// Packets the demuxer marked incomplete (the input ended inside them), of any stream.
    private(set) var corruptPackets = 0
    /// Where the last packet ended in the input, and how far reading got, once at the end.
    private(set) var packetsEnd: Int64?
    private(set) var bytesRead: Int64?
    /// The demuxer's error when reading stopped on something other than the end of the file
    /// (a truncated or damaged file), nil otherwise.
    private(set) var readError: Int32?
    /// Called with every packet that is not from the video stream (for stream copy); the packet is unref'd afterwards.
    var otherPacket: ((UnsafeMutablePointer<AVPacket>) throws -> Void)?

    init(input: MediaInput) {
        self.input = input
        self.packet = av_packet_alloc()
    }

    deinit {
        var p: UnsafeMutablePointer<AVPacket>? = packet
        av_packet_free(&p)
    }

    /// The next decoded frame (owned by the caller), or nil at the end of the stream.
    func next() throws -> UnsafeMutablePointer<AVFrame>? {
        guard !finished else { return nil }
        let frame = av_frame_alloc()!
        while true {
            let received = avcodec_receive_frame(input.decoder, frame)
            if received >= 0 {
                guard Int(frame.pointee.width) <= MediaLimits.maximumSide, Int(frame.pointee.height) <= MediaLimits.maximumSide,
                      Int(frame.pointee.width) * Int(frame.pointee.height) <= MediaLimits.maximumArea else {
                    // The header was checked; a stream may still change its size mid-way.
                    var f: UnsafeMutablePointer<AVFrame>? = frame
                    av_frame_free(&f)
                    throw MediaError(.invalidInput, "a decoded frame of \(frame.pointee.width)x\(frame.pointee.height) is beyond the supported maximum (8K)")
                }
                decodedFrames += 1
                return frame
            }
            if received == errorEOF {
                finished = true
                var f: UnsafeMutablePointer<AVFrame>? = frame
                av_frame_free(&f)
                if decodedFrames == 0 {
                    throw MediaError(.invalidInput, "no decodable video frame (the file is damaged or truncated)")
                }
                return nil
            }
            if received != errorAgain {
                // A decoding error for one frame: count it and go on, as players do.
                damagedPackets += 1
                if damagedPackets > 1000 && decodedFrames == 0 {
                    var f: UnsafeMutablePointer<AVFrame>? = frame
                    av_frame_free(&f)
                    throw MediaError(.invalidInput, "video cannot be decoded: \(ffmpegErrorText(received))")
                }
                continue
            }
            if draining { continue }
            // The decoder wants more input.
            let read = av_read_frame(input.format, packet)
            if read < 0 {
                // End of file, or a read error on a truncated file: drain what the decoder holds.
                if read != errorEOF { readError = read }
                if let pb = input.format.pointee.pb { bytesRead = avio_tell(pb) }
                draining = true
                avcodec_send_packet(input.decoder, nil)
                continue
            }
            defer { av_packet_unref(packet) }
            // The demuxer marks a packet the input ended inside of (any stream's).
            if packet.pointee.flags & AV_PKT_FLAG_CORRUPT != 0 { corruptPackets += 1 }
            if packet.pointee.pos >= 0 { packetsEnd = max(packetsEnd ?? 0, packet.pointee.pos + Int64(packet.pointee.size)) }
            if packet.pointee.stream_index == input.videoStreamIndex {
                videoPackets += 1
                let sent = avcodec_send_packet(input.decoder, packet)
                if sent < 0 && sent != errorAgain { damagedPackets += 1 }
            } else if let otherPacket {
                try otherPacket(packet)
            }
        }
    }
}
