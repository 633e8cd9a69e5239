internal import CFFmpeg

/// A libavfilter graph with one video input ("in") and one video output ("out").
///
/// `description` is ordinary FFmpeg filter syntax between the two, e.g. `scale=1280:-2,format=yuv420p`;
/// it may contain further source filters such as `movie=logo.png`.
final class FilterGraph {
    private let graph: UnsafeMutablePointer<AVFilterGraph>
    private let source: UnsafeMutablePointer<AVFilterContext>
    private let sink: UnsafeMutablePointer<AVFilterContext>
    private var flushed = false

    /// Time base of the frames that come out.
    var outputTimeBase: AVRational { av_buffersink_get_time_base(sink) }
    var outputFrameRate: AVRational { av_buffersink_get_frame_rate(sink) }
    var outputWidth: Int32 { av_buffersink_get_w(sink) }
    var outputHeight: Int32 { av_buffersink_get_h(sink) }
    var outputSampleAspectRatio: AVRational { av_buffersink_get_sample_aspect_ratio(sink) }

    init(description: String, width: Int32, height: Int32, pixelFormat: Int32,
         timeBase: AVRational, sampleAspectRatio: AVRational, frameRate: AVRational) throws {
        guard let graph = avfilter_graph_alloc() else { throw MediaError(.unsupported, "cannot allocate a filter graph") }
        self.graph = graph
        var ok = false
        defer { if !ok { var g: UnsafeMutablePointer<AVFilterGraph>? = graph; avfilter_graph_free(&g) } }
        // One thread per graph: the decoder and encoder already use every core.
        graph.pointee.nb_threads = 1

        let sar = sampleAspectRatio.num > 0 && sampleAspectRatio.den > 0 ? sampleAspectRatio : AVRational(num: 1, den: 1)
        var arguments = "video_size=\(width)x\(height):pix_fmt=\(pixelFormat):time_base=\(timeBase.num)/\(timeBase.den):pixel_aspect=\(sar.num)/\(sar.den)"
        if frameRate.num > 0 && frameRate.den > 0 { arguments += ":frame_rate=\(frameRate.num)/\(frameRate.den)" }
        var source: UnsafeMutablePointer<AVFilterContext>? = nil
        try check(avfilter_graph_create_filter(&source, avfilter_get_by_name("buffer"), "in", arguments, nil, graph),
                  .unsupported, "cannot create the filter source")
        var sink: UnsafeMutablePointer<AVFilterContext>? = nil
        try check(avfilter_graph_create_filter(&sink, avfilter_get_by_name("buffersink"), "out", nil, nil, graph),
                  .unsupported, "cannot create the filter sink")
        self.source = source!
        self.sink = sink!

        var outputs = avfilter_inout_alloc()
        var inputs = avfilter_inout_alloc()
        defer { avfilter_inout_free(&outputs); avfilter_inout_free(&inputs) }
        outputs!.pointee.name = av_strdup("in")
        outputs!.pointee.filter_ctx = source
        outputs!.pointee.pad_idx = 0
        outputs!.pointee.next = nil
        inputs!.pointee.name = av_strdup("out")
        inputs!.pointee.filter_ctx = sink
        inputs!.pointee.pad_idx = 0
        inputs!.pointee.next = nil
        try check(avfilter_graph_parse_ptr(graph, description, &inputs, &outputs, nil),
                  .unsupported, "invalid filter graph '\(description)'")
        try check(avfilter_graph_config(graph, nil), .unsupported, "cannot configure filter graph '\(description)'")
        ok = true
    }

    deinit {
        var g: UnsafeMutablePointer<AVFilterGraph>? = graph
        avfilter_graph_free(&g)
    }

    /// Feeds one frame (the graph takes its own reference), or nil to signal the end.
    func push(_ frame: UnsafeMutablePointer<AVFrame>?) throws {
        if frame == nil {
            if flushed { return }
            flushed = true
        }
        try check(av_buffersrc_add_frame_flags(source, frame, Int32(AV_BUFFERSRC_FLAG_KEEP_REF)),
                  .output, "filtering failed")
    }

    /// The next filtered frame, or nil when the graph needs more input (or is done).
    func pull() throws -> UnsafeMutablePointer<AVFrame>? {
        let frame = av_frame_alloc()!
        let result = av_buffersink_get_frame(sink, frame)
        if result >= 0 { return frame }
        var f: UnsafeMutablePointer<AVFrame>? = frame
        av_frame_free(&f)
        if result == errorAgain || result == errorEOF { return nil }
        try check(result, .output, "filtering failed")
        return nil
    }
}

/// Escapes a value for use inside a filter option, inside a filter graph description
/// (FFmpeg's two levels of quoting: option values, then the graph).
public func filterGraphEscaped(_ value: String) -> String {
    var optionLevel = ""
    for character in value {
        if character == "\\" || character == "'" || character == ":" { optionLevel.append("\\") }
        optionLevel.append(character)
    }
    var graphLevel = ""
    for character in optionLevel {
        if "\\'[],;".contains(character) { graphLevel.append("\\") }
        graphLevel.append(character)
    }
    return graphLevel
}
