internal import CFFmpeg
import Foundation

/// Decodes a video file frame by frame for analysis, handing out 8-bit frames whose first plane is luma.
///
/// Frames in such formats (yuv420p, yuvj420p, yuv422p, yuv444p, nv12, gray, ...) are passed through
/// without copying; anything else (10-bit, RGB, ...) goes through a libavfilter `format=gray` graph.
/// An optional `filter` (libavfilter syntax) is applied first, which `eval` uses for attacks.
public final class FrameReader {
    public let info: VideoInfo
    private let input: MediaInput
    private let loop: DecodeLoop
    private let filterDescription: String?
    private var graph: FilterGraph?
    private var graphFlushed = false
    private var timeBase: AVRational

    public var damagedPackets: Int { loop.damagedPackets }
    /// Frames decoded so far, and video packets read: with `fastDecode`, the packets of
    /// non-reference frames are read but not decoded, so the two differ.
    public var framesDecoded: Int { loop.decodedFrames }
    public var videoPackets: Int { loop.videoPackets }
    /// After the last frame: whether the whole stream was there (see `MediaCompleteness`).
    public var completeness: MediaCompleteness { loop.completeness }
    /// The container is an image format (PNG, JPEG, ...), not a video.
    public var isStillImage: Bool { input.isStillImage }

    /// - Parameter fastDecode: skip decoding frames nothing refers to (B-frames in most streams):
    ///   fewer frames, much faster, for statistics that do not need every frame.
    public init(url: URL, filter: String? = nil, fastDecode: Bool = false) throws {
        input = try MediaInput(url: url, discardNonReference: fastDecode)
        info = input.info
        loop = DecodeLoop(input: input)
        filterDescription = filter
        timeBase = input.videoStream.pointee.time_base
    }

    private static let lumaFirstFormats: Set<Int32> = [
        AV_PIX_FMT_YUV420P, AV_PIX_FMT_YUVJ420P, AV_PIX_FMT_YUV422P, AV_PIX_FMT_YUVJ422P,
        AV_PIX_FMT_YUV444P, AV_PIX_FMT_YUVJ444P, AV_PIX_FMT_NV12, AV_PIX_FMT_NV21, AV_PIX_FMT_GRAY8,
        AV_PIX_FMT_YUV440P, AV_PIX_FMT_YUVJ440P, AV_PIX_FMT_YUV411P, AV_PIX_FMT_YUV410P, AV_PIX_FMT_YUVA420P,
    ].map { $0.rawValue }.reduce(into: Set<Int32>()) { $0.insert($1) }

    /// The next frame, or nil at the end.
    public func next() throws -> VideoFrame? {
        while true {
            if let graph, let filtered = try graph.pull() {
                return VideoFrame(taking: filtered, time: seconds(filtered.pointee.pts, graph.outputTimeBase))
            }
            if graphFlushed { return nil }
            guard let decoded = try loop.next() else {
                guard let graph else { return nil }
                try graph.push(nil)
                graphFlushed = true
                continue
            }
            decoded.pointee.pts = decoded.pointee.best_effort_timestamp
            if filterDescription == nil && graph == nil && Self.lumaFirstFormats.contains(decoded.pointee.format) {
                return VideoFrame(taking: decoded, time: seconds(decoded.pointee.pts, timeBase))
            }
            if graph == nil {
                let description = (filterDescription.map { "\($0)," } ?? "") + "format=gray"
                graph = try FilterGraph(
                    description: description, width: decoded.pointee.width, height: decoded.pointee.height,
                    pixelFormat: decoded.pointee.format, timeBase: timeBase,
                    sampleAspectRatio: decoded.pointee.sample_aspect_ratio,
                    frameRate: input.videoStream.pointee.avg_frame_rate)
            }
            var owned: UnsafeMutablePointer<AVFrame>? = decoded
            defer { av_frame_free(&owned) }
            try graph!.push(decoded)
        }
    }

    private func seconds(_ pts: Int64, _ base: AVRational) -> Double {
        pts == noTimestamp ? 0 : Double(pts) * av_q2d(base)
    }
}
