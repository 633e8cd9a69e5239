import ArgumentParser
import Foundation
import Hallmark
import HallmarkMedia

struct StampCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stamp",
        abstract: "Stamp a clip: visible mark, invisible watermark with a new mark id, registry record.",
        discussion: """
            Prints the mark id (16 hexadecimal digits) on stdout. The output is written atomically.

            With - as the clip, it is read from standard input: any stream FFmpeg reads from a pipe \
            (y4m, nut, ...), or raw frames with --input-format rawvideo --size WxH --pix-fmt FMT --fps N. \
            The stream must end cleanly after a whole frame; its recorded input hash is the SHA-256 of \
            the frames received.
            """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var signing: SigningOptions

    @Argument(help: "The clip to stamp (anything FFmpeg reads), or - for standard input.")
    var input: String

    @Option(help: ArgumentHelp("With -: the stream's FFmpeg format (y4m, nut, rawvideo, ...); probed when left out.", valueName: "format"))
    var inputFormat: String?

    @Option(help: ArgumentHelp("With --input-format rawvideo: the frame size.", valueName: "WxH"))
    var size: String?

    @Option(help: ArgumentHelp("With --input-format rawvideo: the FFmpeg pixel format (default yuv420p).", valueName: "format"))
    var pixFmt: String?

    @Option(help: ArgumentHelp("With --input-format rawvideo: frames per second (24, 30000/1001).", valueName: "rate"))
    var fps: String?

    @Option(name: .short, help: ArgumentHelp("Output file (.mp4 or .mov).", valueName: "output"))
    var output: String

    @Option(help: "The account the clip is issued to.")
    var account: String

    @Option(help: "A label for the clip (kept in the registry).")
    var label: String?

    @Option(help: ArgumentHelp("Visible mark: a text label, a .png logo, or 'none'.", valueName: "text|png|none"))
    var visible: String?

    @Option(help: ArgumentHelp("Visible mark placement: moving, top-left, top-right, bottom-right, bottom-left.", valueName: "placement"))
    var placement: String = "moving"

    @Option(help: "H.264 constant rate factor (0-51).")
    var crf: Int = 18

    @Option(help: "x264 preset (ultrafast ... veryslow).")
    var preset: String = "medium"

    @Option(help: "Invisible mark amplitude relative to the calibrated default (0.25-1). Lower costs fewer bits and less encoding time and survives less.")
    var strength: Float = 1

    @Option(help: "The model that generated the clip (recorded in the manifest).")
    var model: String?

    @Flag(help: "Do not embed a C2PA manifest (watermarks only).")
    var noManifest = false

    @Option(help: ArgumentHelp("Groups the copies of one generation issued to several accounts, so tracing scores them together (default: the input file's SHA-256).", valueName: "id"))
    var sourceId: String?

    func validate() throws {
        guard (0...51).contains(crf) else { throw ValidationError("--crf must be between 0 and 51") }
        guard (0.25...1).contains(strength) else { throw ValidationError("--strength must be between 0.25 and 1") }
        let presets = ["ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow", "placebo"]
        guard presets.contains(preset) else { throw ValidationError("--preset must be one of \(presets.joined(separator: ", "))") }
        guard VisibleMark.Placement(rawValue: placement) != nil else { throw ValidationError("--placement must be one of moving, top-left, top-right, bottom-right, bottom-left") }
        if URL(fileURLWithPath: input).standardizedFileURL.path == URL(fileURLWithPath: output).standardizedFileURL.path {
            throw ValidationError("-o must not be the input file")
        }
        guard !account.trimmingCharacters(in: .whitespaces).isEmpty else { throw ValidationError("--account must not be empty") }
        if let sourceId, sourceId.trimmingCharacters(in: .whitespaces).isEmpty || sourceId.count > 200 {
            throw ValidationError("--source-id must be 1 to 200 characters")
        }
        _ = try streamInput()
    }

    /// How to read standard input, nil for a file; a `ValidationError` for flags that do not fit.
    func streamInput() throws -> StreamInput? {
        let rawFlags = [size.map { _ in "--size" }, pixFmt.map { _ in "--pix-fmt" }, fps.map { _ in "--fps" }].compactMap { $0 }
        guard input == "-" else {
            let given = (inputFormat != nil ? ["--input-format"] : []) + rawFlags
            if !given.isEmpty {
                throw ValidationError("\(given.joined(separator: ", ")) \(given.count == 1 ? "applies" : "apply") only to - (standard input)")
            }
            return nil
        }
        if let inputFormat, !StreamInput.isKnownFormat(inputFormat) {
            throw ValidationError("--input-format: this FFmpeg has no demuxer '\(inputFormat)' (see `ffmpeg -demuxers`)")
        }
        guard inputFormat == "rawvideo" else {
            if !rawFlags.isEmpty {
                throw ValidationError("\(rawFlags.joined(separator: ", ")) \(rawFlags.count == 1 ? "describes" : "describe") raw frames: give \(rawFlags.count == 1 ? "it" : "them") with --input-format rawvideo")
            }
            return StreamInput(format: inputFormat)
        }
        guard let size else { throw ValidationError("--input-format rawvideo needs --size WxH") }
        guard let fps else { throw ValidationError("--input-format rawvideo needs --fps") }
        guard let dimensions = RawVideoFormat.parseSize(size) else { throw ValidationError("--size must be WIDTHxHEIGHT, e.g. 640x360") }
        guard let rate = FrameRate(parsing: fps) else { throw ValidationError("--fps must be a positive rate such as 24 or 30000/1001") }
        do {
            let format = try RawVideoFormat(width: dimensions.width, height: dimensions.height, pixelFormat: pixFmt ?? "yuv420p", frameRate: rate)
            return StreamInput(format: "rawvideo", rawVideo: format)
        } catch let error as MediaError {
            throw ValidationError(error.message)
        }
    }

    func run() throws {
        let cancellation = Terminal.cancelOnInterrupt()
        let result = try reportingErrors {
            var visibleMark = try VisibleMark.parse(visible)
            visibleMark.placement = VisibleMark.Placement(rawValue: placement)!
            let stamper = try Stamper(home: global.resolvedHome, registryLocation: try global.registryLocation())
            let request = StampRequest(input: URL(fileURLWithPath: input), output: URL(fileURLWithPath: output),
                                       account: account, label: label, visibleMark: visibleMark,
                                       encoder: .h264(crf: crf, preset: preset), strength: strength,
                                       signing: noManifest ? .none : try signing.choice(),
                                       generator: signing.generatorValue, model: model, sourceId: sourceId, stream: try streamInput())
            return try stamper.stamp(request, progress: Terminal.progressBar("stamping"), cancellation: cancellation)
        }
        Terminal.clearProgress()
        for warning in result.warnings { Terminal.warning(warning) }
        print(result.markIdHex)
    }
}
