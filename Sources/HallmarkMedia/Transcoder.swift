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
    /// The input's name in messages: its path, or "standard input".
    private let name: String

    public init(input url: URL) throws {
        self.name = url.path
        self.input = try MediaInput(url: url)
        self.info = input.info
    }

    /// Reads the clip from standard input (see `StreamInput`).
    public init(stream: StreamInput) throws {
        self.name = "standard input"
        self.input = try MediaInput(stream: stream)
        self.info = input.info
    }

    /// The container is an image format (PNG, JPEG, ...), not a video.
    public var isStillImage: Bool { input.isStillImage }

    /// - Parameters:
    ///   - filter: libavfilter description applied to every frame ("null" for none). A final
    ///     conversion to the encoder's pixel format is appended.
    ///   - received: called with each decoded frame as it came from the decoder, before any filter.
    ///   - process: called with each filtered frame before it is encoded; it may change the luma plane.
    ///   - progress: fraction done, 0...1, called at most a few times per second.
    public func run(to output: URL, filter: String = "null", encoder settings: EncoderSettings,
                    copyAudio: Bool = true,
                    received: ((VideoFrame) throws -> Void)? = nil,
                    process: ((VideoFrame) throws -> Void)? = nil,
                    progress: ((Double) -> Void)? = nil,
                    cancellation: Cancellation? = nil) throws -> TranscodeSummary {
        let decoder = input.decoder
        let inStream = input.videoStream
        // The raw-video demuxer gives no average rate, only the real one.
        let average = inStream.pointee.avg_frame_rate
        let frameRate = average.num > 0 && average.den > 0 ? average : inStream.pointee.r_frame_rate
        let pipeline = try EncodePipeline(
            output: output, filter: filter, settings: settings, timeBase: inStream.pointee.time_base,
            frameRate: frameRate, colors: ColorDescription(decoder),
            sampleAspectRatio: decoder.pointee.sample_aspect_ratio, template: inStream, process: process)
        let muxer = pipeline.muxer
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

        let loop = DecodeLoop(input: input)
        var lastProgress = Date.distantPast

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
        pipeline.headerWritten = {
            for p in pendingAudio {
                let index = p.pointee.stream_index
                try writeAudio(p, from: index)
            }
            for p in pendingAudio { var q: UnsafeMutablePointer<AVPacket>? = p; av_packet_free(&q) }
            pendingAudio.removeAll()
        }
        loop.otherPacket = { packet in
            guard audioMap[packet.pointee.stream_index] != nil else { return }
            if !pipeline.isOpen {
                pendingAudioBytes += Int(packet.pointee.size)
                guard pendingAudioBytes <= pendingAudioLimit, pendingAudio.count < 100_000 else {
                    throw MediaError(.invalidInput, "\(self.name): more than 16 MiB of audio before the first video frame")
                }
                pendingAudio.append(av_packet_clone(packet))
            } else {
                try writeAudio(packet, from: packet.pointee.stream_index)
            }
        }

        while let decoded = try loop.next() {
            try cancellation?.checkCancelled()
            var owned: UnsafeMutablePointer<AVFrame>? = decoded
            defer { av_frame_free(&owned) }
            decoded.pointee.pts = decoded.pointee.best_effort_timestamp
            if let received, let reference = av_frame_clone(decoded) {
                try received(VideoFrame(taking: reference, time: input.seconds(decoded.pointee.pts)))
            }
            try pipeline.push(decoded)
            if let progress, info.duration > 0, Date().timeIntervalSince(lastProgress) > 0.2 {
                lastProgress = Date()
                progress(min(1, input.seconds(decoded.pointee.pts) / info.duration))
            }
        }
        try pipeline.finish(name: name)
        progress?(1)
        if pipeline.timestampsRepaired > 0 {
            let count = pipeline.timestampsRepaired
            warnings.append(count == 1
                ? "1 frame of \(name) had a timestamp that did not increase; it was moved to just after the frame before it"
                : "\(count) frames of \(name) had timestamps that did not increase; each was moved to just after the frame before it")
        }
        return TranscodeSummary(framesEncoded: pipeline.framesEncoded, damagedPackets: loop.damagedPackets,
                                copiedAudioStreams: audioMap.count, completeness: loop.completeness, warnings: warnings)
    }
}
