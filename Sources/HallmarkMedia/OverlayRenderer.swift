internal import CFFmpeg

/// Draws a filter (e.g. the visible mark's drawtext/overlay) onto a flat grey frame and returns
/// the luma plane: what the filter alone puts on the picture, for template matching.
public enum OverlayRenderer {
    public static func renderLuma(filter: String, width: Int, height: Int, time: Double, background: UInt8 = 128) throws -> [UInt8] {
        let canvas = try VideoFrame.allocate(width: width, height: height, pixelFormat: AV_PIX_FMT_YUV420P)
        let frame = canvas.frame
        defer { withExtendedLifetime(canvas) {} }  // `frame` is only borrowed from it
        for plane in 0..<3 {
            let rows = plane == 0 ? height : (height + 1) / 2
            let pointer = plane == 0 ? frame.pointee.data.0! : (plane == 1 ? frame.pointee.data.1! : frame.pointee.data.2!)
            let stride = plane == 0 ? frame.pointee.linesize.0 : (plane == 1 ? frame.pointee.linesize.1 : frame.pointee.linesize.2)
            pointer.update(repeating: plane == 0 ? background : 128, count: Int(stride) * rows)
        }
        let timeBase = AVRational(num: 1, den: 1000)
        frame.pointee.pts = Int64(time * 1000)
        let graph = try FilterGraph(description: "\(filter),format=gray", width: Int32(width), height: Int32(height),
                                    pixelFormat: AV_PIX_FMT_YUV420P.rawValue, timeBase: timeBase,
                                    sampleAspectRatio: AVRational(num: 1, den: 1), frameRate: AVRational(num: 0, den: 1))
        try graph.push(frame)
        try graph.push(nil)
        guard let output = try graph.pull() else { throw MediaError(.unsupported, "the filter produced no frame") }
        let rendered = VideoFrame(taking: output, time: time)
        return rendered.withLuma { base, stride in
            var out = [UInt8](repeating: 0, count: width * height)
            for y in 0..<height { for x in 0..<width { out[y * width + x] = base[y * stride + x] } }
            return out
        }
    }
}
