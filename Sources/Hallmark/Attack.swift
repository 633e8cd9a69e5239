import HallmarkMedia

/// One row of the attack matrix: a libavfilter chain and the encoder that writes the attacked copy.
public struct Attack: Sendable {
    public var name: String
    public var filter: String
    public var encoder: EncoderSettings
    /// Container extension for the attacked copy.
    public var container: String
    /// Rows the brief allows to end in "not detected" (never in a wrong id).
    public var mayFail: Bool

    static func h264(_ crf: Int) -> EncoderSettings { EncoderSettings(codec: "libx264", options: ["crf": "\(crf)", "preset": "veryfast"]) }

    init(_ name: String, _ filter: String = "null", _ encoder: EncoderSettings = h264(23), container: String = "mp4", mayFail: Bool = false) {
        self.name = name
        self.filter = filter
        self.encoder = encoder
        self.container = container
        self.mayFail = mayFail
    }

    /// Even dimensions after a scale factor, as H.264 in 4:2:0 needs.
    static func even(_ expression: String) -> String { "trunc(\(expression)/2)*2" }

    /// The matrix of ../shared/docs/watermark.md, each row re-encoded with H.264 CRF 23 unless stated.
    public static let matrix: [Attack] = [
        Attack("none (stamped file)", "null"),
        Attack("h264 crf 23"), Attack("h264 crf 30", "null", h264(30)), Attack("h264 crf 40", "null", h264(40)),
        Attack("h264 crf 50", "null", h264(50), mayFail: true),
        Attack("h265 crf 23", "null", EncoderSettings(codec: "libx265", options: ["crf": "23", "preset": "ultrafast", "x265-params": "log-level=none"])),
        Attack("h265 crf 30", "null", EncoderSettings(codec: "libx265", options: ["crf": "30", "preset": "ultrafast", "x265-params": "log-level=none"])),
        Attack("h265 crf 40", "null", EncoderSettings(codec: "libx265", options: ["crf": "40", "preset": "ultrafast", "x265-params": "log-level=none"])),
        Attack("vp9 crf 35", "null", EncoderSettings(codec: "libvpx-vp9", options: ["crf": "35", "b": "0", "deadline": "realtime", "cpu-used": "8"]), container: "webm"),
        Attack("av1 crf 40", "null", EncoderSettings(codec: "libsvtav1", options: ["crf": "40", "preset": "10"]), container: "mkv"),
        Attack("resize 0.71", "scale=\(even("iw*0.71")):\(even("ih*0.71"))"),
        Attack("resize 0.71 + crf 28", "scale=\(even("iw*0.71")):\(even("ih*0.71"))", h264(28)),
        Attack("crop 0.9 + crf 30", "crop=\(even("iw*0.9")):\(even("ih*0.9"))", h264(30)),
        Attack("resize 0.55", "scale=\(even("iw*0.55")):\(even("ih*0.55"))"),
        Attack("downscale 720p", "scale=-2:720"), Attack("downscale 480p", "scale=-2:480"), Attack("downscale 360p", "scale=-2:360"),
        Attack("crop 0.71 off-centre", "crop=\(even("iw*0.71")):\(even("ih*0.71")):iw*0.27:ih*0.03"),
        Attack("crop 0.55 off-centre", "crop=\(even("iw*0.55")):\(even("ih*0.55")):iw*0.05:ih*0.4"),
        Attack("brightness x0.5", "lutyuv=y=val*0.5"), Attack("brightness x1.5", "lutyuv=y='clip(val*1.5,0,255)'"),
        Attack("contrast x0.5", "eq=contrast=0.5"), Attack("contrast x1.5", "eq=contrast=1.5"),
        Attack("saturation x0.5", "eq=saturation=0.5"), Attack("saturation x1.5", "eq=saturation=1.5"),
        Attack("hue shift 0.25", "hue=h=90"), Attack("gamma 1.5", "eq=gamma=1.5"),
        Attack("gaussian blur k9", "gblur=sigma=2:steps=3"), Attack("additive noise", "noise=alls=12:allf=t"),
        Attack("sharpen", "unsharp=5:5:1.5"),
        Attack("jpeg frames q~50", "format=yuvj420p", EncoderSettings(codec: "mjpeg", pixelFormat: "yuvj420p", quantizerScale: 8), container: "mkv"),
        Attack("rotate 10 deg", "rotate=10*PI/180"), Attack("rotate 90 deg", "transpose=1", mayFail: true),
        Attack("horizontal flip", "hflip"),
        Attack("perspective 0.5", "perspective=x0=W*0.25:y0=H*0.1:x1=W*0.85:y1=0:x2=0:y2=H:x3=W:y3=H*0.8", mayFail: true),
        Attack("letterbox into 9:16", "scale=\(even("ih")):-2,pad=iw:\(even("iw*16/9")):(ow-iw)/2:(oh-ih)/2"),
        Attack("pad into 1:1", "pad=iw:iw:0:(oh-ih)/2"),
        Attack("text overlay", "drawtext=text='REPOST @someone':fontsize=h/9:fontcolor=white:borderw=4:x=(w-tw)/2:y=h*0.4"),
        Attack("logo overlay (12% area)", "drawbox=x=iw*0.6:y=ih*0.55:w=iw*0.35:h=ih*0.35:color=red@0.9:t=fill"),
        Attack("frame rate 30 fps", "fps=30"), Attack("speed-up 1.25x", "setpts=PTS/1.25"),
        Attack("excerpt 1.5 s", "trim=start=1:duration=1.5,setpts=PTS-STARTPTS"),
        Attack("combined crf 35 + crop 0.71 + brightness x0.5", "crop=\(even("iw*0.71")):\(even("ih*0.71")):iw*0.1:ih*0.2,lutyuv=y=val*0.5", h264(35)),
        Attack("repost 720p + crop 0.9 + crf 30 + brightness", "scale=-2:720,crop=\(even("iw*0.9")):\(even("ih*0.9")),eq=brightness=0.06", h264(30)),
    ]

    /// Copies made from several accounts' copies of one source (`copies[k]` is the path of the
    /// k-th copy; the attacked input is copy 0). Each reads the others with libavfilter's `movie`.
    public static func collusion(copies: [String], duration: Double) -> [(attack: Attack, contributors: Int)] {
        func movie(_ k: Int) -> String { "movie=\(filterGraphEscaped(copies[k])),setpts=PTS-STARTPTS[c\(k)];" }
        func average(_ n: Int, weights: String? = nil) -> String {
            (1..<n).map(movie).joined() + "[in]" + (1..<n).map { "[c\($0)]" }.joined() + "mix=inputs=\(n)" + (weights.map { ":weights=\($0)" } ?? "")
        }
        let half = duration / 2
        var rows: [(Attack, Int)] = [
            (Attack("average of 2 copies", average(2)), 2),
            (Attack("average of 2 copies, weights 3:1", average(2, weights: "3 1")), 2),
            (Attack("frames interleaved from 2 copies", movie(1) + "[in][c1]blend=all_expr='if(mod(N,2),B,A)'"), 2),
            (Attack("splice of 2 copies", movie(1) + "[c1]trim=\(half):\(duration),setpts=PTS-STARTPTS[b];[in]trim=0:\(half),setpts=PTS-STARTPTS[a];[a][b]concat=n=2:v=1"), 2),
        ]
        if copies.count >= 3 { rows.append((Attack("average of 3 copies", average(3)), 3)) }
        if copies.count >= 4 { rows.append((Attack("average of 4 copies", average(4)), 4)) }
        return rows.filter { $0.1 <= copies.count }
    }
}

