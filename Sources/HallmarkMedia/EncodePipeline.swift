internal import CFFmpeg
import Foundation

/// The back half of a transcode: decoded frames in, then libavfilter, per-frame processing,
/// encoder and muxer. Fed by `Transcoder` (frames decoded from a file or a stream) and by
/// `FrameEncoder` (frames a program pushes).
///
/// The filter graph, encoder and container header are set up on the first frame, from its size,
/// pixel format and sample aspect ratio; `headerWritten` runs then (for audio that waited).
final class EncodePipeline {
    let muxer: Muxer
    private let description: String
    private let settings: EncoderSettings
    private let timeBase: AVRational
    private let frameRate: AVRational
    private let colors: ColorDescription
    private let sampleAspectRatio: AVRational
    /// The input stream whose disposition, metadata and display rotation the output keeps.
    private let template: UnsafeMutablePointer<AVStream>?
    private let process: ((VideoFrame) throws -> Void)?
    private var graph: FilterGraph?
    private var encoder: VideoEncoder?
    private var videoOut: UnsafeMutablePointer<AVStream>?
    /// One frame at the output rate, in the encoder's time base (0 when the rate is unknown).
    private var frameDuration: Int64 = 0
    private(set) var framesEncoded = 0
    /// Frames whose timestamp was moved forward to keep timestamps increasing.
    private(set) var timestampsRepaired = 0
    private var lastTimestamp: Int64?
    /// Called once, right after the container header is written.
    var headerWritten: (() throws -> Void)?

    /// Timestamps of pushed frames are in `timeBase`; `frameRate` may be 0/1 (unknown).
    init(output: URL, filter: String, settings: EncoderSettings, timeBase: AVRational, frameRate: AVRational,
         colors: ColorDescription, sampleAspectRatio: AVRational, template: UnsafeMutablePointer<AVStream>?,
         process: ((VideoFrame) throws -> Void)?) throws {
        muxer = try Muxer(url: output)
        description = "\(filter),format=\(settings.pixelFormat)"
        self.settings = settings
        self.timeBase = timeBase
        self.frameRate = frameRate
        self.colors = colors
        self.sampleAspectRatio = sampleAspectRatio
        self.template = template
        self.process = process
    }

    /// Whether a frame has gone through (and the header is written).
    var isOpen: Bool { encoder != nil }

    /// Filters, processes and encodes `frame` (the caller keeps it; its `pts` is in `timeBase`).
    func push(_ frame: UnsafeMutablePointer<AVFrame>) throws {
        if graph == nil {
            graph = try FilterGraph(
                description: description, width: frame.pointee.width, height: frame.pointee.height,
                pixelFormat: frame.pointee.format, timeBase: timeBase,
                sampleAspectRatio: frame.pointee.sample_aspect_ratio.num > 0 ? frame.pointee.sample_aspect_ratio : sampleAspectRatio,
                frameRate: frameRate)
        }
        try graph!.push(frame)
        try drain()
    }

    /// Flushes the filter graph and the encoder and writes the container trailer.
    /// - Throws: when no frame ever came through.
    func finish(name: String) throws {
        if let graph {
            try graph.push(nil)
            try drain()
        }
        guard let encoder else { throw MediaError(.invalidInput, "\(name): no video frame came out of decoding") }
        try encoder.encode(nil, write: writeVideo)
        try muxer.finish()
    }

    private func drain() throws {
        guard let graph else { return }
        while let filtered = try graph.pull() {
            if encoder == nil { try openEncoder(for: graph) }
            makeTimestampIncrease(filtered)
            let time = filtered.pointee.pts == noTimestamp ? 0 : Double(filtered.pointee.pts) * av_q2d(graph.outputTimeBase)
            let frame = VideoFrame(taking: filtered, time: time)
            if let process { try process(frame) }
            try encoder!.encode(frame.frame, write: writeVideo)
            framesEncoded += 1
        }
    }

    /// The muxer refuses a frame whose timestamp does not increase ("non monotonically
    /// increasing dts"), which an input with broken timing (a damaged `stts` box, a stream
    /// without timestamps) gives: such a frame takes the next tick after its predecessor.
    private func makeTimestampIncrease(_ frame: UnsafeMutablePointer<AVFrame>) {
        if let lastTimestamp, frame.pointee.pts == noTimestamp || frame.pointee.pts <= lastTimestamp {
            frame.pointee.pts = lastTimestamp + 1
            timestampsRepaired += 1
        }
        if frame.pointee.pts != noTimestamp { lastTimestamp = frame.pointee.pts }
    }

    private func openEncoder(for graph: FilterGraph) throws {
        let out = try muxer.addStream()
        let rate = graph.outputFrameRate.num > 0 ? graph.outputFrameRate : frameRate
        let encoderContext = try VideoEncoder(
            settings: settings, width: graph.outputWidth, height: graph.outputHeight,
            timeBase: graph.outputTimeBase, frameRate: rate,
            sampleAspectRatio: graph.outputSampleAspectRatio,
            colors: colors, globalHeader: muxer.needsGlobalHeader)
        try check(avcodec_parameters_from_context(out.pointee.codecpar, encoderContext.context), .output, "cannot set output parameters")
        out.pointee.time_base = encoderContext.context.pointee.time_base
        out.pointee.avg_frame_rate = rate
        out.pointee.sample_aspect_ratio = graph.outputSampleAspectRatio
        if let template {
            out.pointee.disposition = template.pointee.disposition
            av_dict_copy(&out.pointee.metadata, template.pointee.metadata, 0)
            // Display rotation travels as stream side data.
            var size = 0
            if let matrix = av_stream_get_side_data(template, AV_PKT_DATA_DISPLAYMATRIX, &size), size > 0,
               let copy = av_stream_new_side_data(out, AV_PKT_DATA_DISPLAYMATRIX, size) {
                copy.update(from: matrix, count: size)
            }
        }
        if rate.num > 0 && rate.den > 0 {
            frameDuration = av_rescale_q(1, AVRational(num: rate.den, den: rate.num), encoderContext.context.pointee.time_base)
        }
        try muxer.writeHeader()
        encoder = encoderContext
        videoOut = out
        try headerWritten?()
    }

    private func writeVideo(_ packet: UnsafeMutablePointer<AVPacket>) throws {
        guard let encoder, let videoOut else { return }
        // Frames without a duration (raw video, pushed frames): one frame at the rate, or the
        // muxer gives the last frame none and the clip comes out a frame short.
        if packet.pointee.duration <= 0 { packet.pointee.duration = frameDuration }
        av_packet_rescale_ts(packet, encoder.context.pointee.time_base, videoOut.pointee.time_base)
        packet.pointee.stream_index = videoOut.pointee.index
        try muxer.write(packet)
    }
}
