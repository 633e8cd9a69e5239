internal import CFFmpeg
import Foundation

/// What a transcode did.
public struct TranscodeSummary: Sendable {
    public var framesEncoded: Int
    public var damagedPackets: Int
    public var copiedAudioStreams: Int
    /// Whether the input was read to its end (a truncated file is not).
    public var completeness: MediaCompleteness
    /// Things a person should know (e.g. an audio stream the container could not carry).
    public var warnings: [String]
}

/// Decode → libavfilter → (optional per-frame processing) → encode → mux, copying audio untouched.
///
/// The output keeps the input's frame timestamps (so variable frame rate survives), time base,
/// sample aspect ratio, colour metadata and display rotation. MP4/MOV outputs have `moov` first.
public final class Transcoder {
    public let info: VideoInfo
    private let input: MediaInput
    private let url: URL

    public init(input url: URL) throws {
        self.url = url
        self.input = try MediaInput(url: url)
        self.info = input.info
    }

    /// The container is an image format (PNG, JPEG, ...), not a video.
    public var isStillImage: Bool { input.isStillImage }

    /// - Parameters:
    ///   - filter: libavfilter description applied to every frame ("null" for none). A final
    ///     conversion to the encoder's pixel format is appended.
    ///   - process: called with each filtered frame before it is encoded; it may change the luma plane.
    ///   - progress: fraction done, 0...1, called at most a few times per second.
    public func run(to output: URL, filter: String = "null", encoder settings: EncoderSettings,
                    copyAudio: Bool = true,
                    process: ((VideoFrame) throws -> Void)? = nil,
                    progress: ((Double) -> Void)? = nil,
                    cancellation: Cancellation? = nil) throws -> TranscodeSummary {
        let muxer = try Muxer(url: output)
        var warnings: [String] = []

        // Audio: stream copy into the new container.
        var audioMap: [Int32: (index: Int32, stream: UnsafeMutablePointer<AVStream>)] = [:]
        if copyAudio {
            for i in 0..<Int(input.format.pointee.nb_streams) {
                let stream = input.format.pointee.streams[i]!
                let parameters = stream.pointee.codecpar!
                guard parameters.pointee.codec_type == AVMEDIA_TYPE_AUDIO else { continue }
                guard muxer.accepts(parameters.pointee.codec_id) else {
                    warnings.append("audio stream \(i) (\(String(cString: avcodec_get_name(parameters.pointee.codec_id)))) cannot be carried by this container and was left out")
                    continue
                }
                let out = try muxer.addStream()
                try check(avcodec_parameters_copy(out.pointee.codecpar, parameters), .output, "cannot copy audio parameters")
                out.pointee.codecpar.pointee.codec_tag = 0
                out.pointee.time_base = stream.pointee.time_base
                av_dict_copy(&out.pointee.metadata, stream.pointee.metadata, 0)
                out.pointee.disposition = stream.pointee.disposition
                audioMap[Int32(i)] = (out.pointee.index, out)
            }
        }

        let decoder = input.decoder
        let inStream = input.videoStream
        let description = "\(filter),format=\(settings.pixelFormat)"
        var graph: FilterGraph? = nil
        var encoder: VideoEncoder? = nil
        var videoOut: UnsafeMutablePointer<AVStream>? = nil
        var framesEncoded = 0
        let loop = DecodeLoop(input: input)
        var lastProgress = Date.distantPast

        func openEncoder(for graph: FilterGraph) throws {
            let out = try muxer.addStream()
            let frameRate = graph.outputFrameRate.num > 0 ? graph.outputFrameRate : inStream.pointee.avg_frame_rate
            let encoderContext = try VideoEncoder(
                settings: settings, width: graph.outputWidth, height: graph.outputHeight,
                timeBase: graph.outputTimeBase, frameRate: frameRate,
                sampleAspectRatio: graph.outputSampleAspectRatio,
                colors: ColorDescription(decoder), globalHeader: muxer.needsGlobalHeader)
            try check(avcodec_parameters_from_context(out.pointee.codecpar, encoderContext.context), .output, "cannot set output parameters")
            out.pointee.time_base = encoderContext.context.pointee.time_base
            out.pointee.avg_frame_rate = frameRate
            out.pointee.sample_aspect_ratio = graph.outputSampleAspectRatio
            out.pointee.disposition = inStream.pointee.disposition
            av_dict_copy(&out.pointee.metadata, inStream.pointee.metadata, 0)
            // Display rotation travels as stream side data.
            var size = 0
            if let matrix = av_stream_get_side_data(inStream, AV_PKT_DATA_DISPLAYMATRIX, &size), size > 0,
               let copy = av_stream_new_side_data(out, AV_PKT_DATA_DISPLAYMATRIX, size) {
                copy.update(from: matrix, count: size)
            }
            try muxer.writeHeader()
            encoder = encoderContext
            videoOut = out
        }

        func writeVideo(_ packet: UnsafeMutablePointer<AVPacket>) throws {
            guard let encoder, let videoOut else { return }
            av_packet_rescale_ts(packet, encoder.context.pointee.time_base, videoOut.pointee.time_base)
            packet.pointee.stream_index = videoOut.pointee.index
            try muxer.write(packet)
        }

        // Audio packets read before the header is written wait here, up to a limit: a file whose
        // video never starts must not fill memory with audio.
        var pendingAudio: [UnsafeMutablePointer<AVPacket>] = []
        var pendingAudioBytes = 0
        let pendingAudioLimit = 16 << 20
        defer { for p in pendingAudio { var q: UnsafeMutablePointer<AVPacket>? = p; av_packet_free(&q) } }
        func writeAudio(_ packet: UnsafeMutablePointer<AVPacket>, from inputIndex: Int32) throws {
            guard let target = audioMap[inputIndex] else { return }
            let inTimeBase = input.format.pointee.streams[Int(inputIndex)]!.pointee.time_base
            av_packet_rescale_ts(packet, inTimeBase, target.stream.pointee.time_base)
            packet.pointee.stream_index = target.index
            packet.pointee.pos = -1
            try muxer.write(packet)
        }
        loop.otherPacket = { packet in
            guard audioMap[packet.pointee.stream_index] != nil else { return }
            if encoder == nil {
                pendingAudioBytes += Int(packet.pointee.size)
                guard pendingAudioBytes <= pendingAudioLimit, pendingAudio.count < 100_000 else {
                    throw MediaError(.invalidInput, "\(self.url.path): more than 16 MiB of audio before the first video frame")
                }
                pendingAudio.append(av_packet_clone(packet))
            } else {
                try writeAudio(packet, from: packet.pointee.stream_index)
            }
        }

        func drainGraph(_ graph: FilterGraph) throws {
            while let filtered = try graph.pull() {
                if encoder == nil {
                    try openEncoder(for: graph)
                    for p in pendingAudio {
                        let index = p.pointee.stream_index
                        try writeAudio(p, from: index)
                    }
                    for p in pendingAudio { var q: UnsafeMutablePointer<AVPacket>? = p; av_packet_free(&q) }
                    pendingAudio.removeAll()
                }
                let time = filtered.pointee.pts == noTimestamp ? 0 : Double(filtered.pointee.pts) * av_q2d(graph.outputTimeBase)
                let frame = VideoFrame(taking: filtered, time: time)
                if let process { try process(frame) }
                try encoder!.encode(frame.frame, write: writeVideo)
                framesEncoded += 1
            }
        }

        while let decoded = try loop.next() {
            try cancellation?.checkCancelled()
            var owned: UnsafeMutablePointer<AVFrame>? = decoded
            defer { av_frame_free(&owned) }
            decoded.pointee.pts = decoded.pointee.best_effort_timestamp
            if graph == nil {
                graph = try FilterGraph(
                    description: description, width: decoded.pointee.width, height: decoded.pointee.height,
                    pixelFormat: decoded.pointee.format, timeBase: inStream.pointee.time_base,
                    sampleAspectRatio: decoded.pointee.sample_aspect_ratio.num > 0 ? decoded.pointee.sample_aspect_ratio : decoder.pointee.sample_aspect_ratio,
                    frameRate: inStream.pointee.avg_frame_rate)
            }
            try graph!.push(decoded)
            try drainGraph(graph!)
            if let progress, info.duration > 0, Date().timeIntervalSince(lastProgress) > 0.2 {
                lastProgress = Date()
                progress(min(1, input.seconds(decoded.pointee.pts) / info.duration))
            }
        }
        if let graph {
            try graph.push(nil)
            try drainGraph(graph)
        }
        guard let encoder else { throw MediaError(.invalidInput, "\(url.path): no video frame came out of decoding") }
        try encoder.encode(nil, write: writeVideo)
        try muxer.finish()
        progress?(1)
        return TranscodeSummary(framesEncoded: framesEncoded, damagedPackets: loop.damagedPackets,
                                copiedAudioStreams: audioMap.count, completeness: loop.completeness, warnings: warnings)
    }
}
