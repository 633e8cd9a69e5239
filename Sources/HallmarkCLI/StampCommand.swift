import ArgumentParser
import Foundation
import Hallmark
import HallmarkMedia

struct StampCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stamp",
        abstract: "Stamp a clip: visible mark, invisible watermark with a new mark id, registry record.",
        discussion: "Prints the mark id (16 hexadecimal digits) on stdout. The output is written atomically.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var signing: SigningOptions

    @Argument(help: "The clip to stamp (anything FFmpeg reads).")
    var input: String

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
                                       generator: signing.generatorValue, model: model, sourceId: sourceId)
            return try stamper.stamp(request, progress: Terminal.progressBar("stamping"), cancellation: cancellation)
        }
        Terminal.clearProgress()
        for warning in result.warnings { Terminal.warning(warning) }
        print(result.markIdHex)
    }
}
