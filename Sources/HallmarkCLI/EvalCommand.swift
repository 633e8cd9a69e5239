import ArgumentParser
import Foundation
import Hallmark

struct EvalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Stamp an excerpt of a clip, attack it with the whole attack matrix, verify every copy, print a table.",
        discussion: "Uses a fresh random key and a throw-away registry, so nothing touches your home. Attacked copies are made with libavfilter and libavcodec (H.264 veryfast unless a row says otherwise).")

    @Argument(help: "The clip to evaluate on.")
    var input: String

    @Option(help: "Start of the excerpt in seconds.")
    var start: Double = 0

    @Option(help: "Length of the excerpt in seconds.")
    var duration: Double = 3

    @Option(help: "Only run attacks whose name contains one of these texts, separated by '|'.")
    var only: String?

    @Option(help: ArgumentHelp("Also write the table as JSON to this file.", valueName: "file"))
    var json: String?

    @Option(help: "Invisible mark amplitude relative to the default (0.25-1), as `stamp --strength`.")
    var strength: Float = 1

    func validate() throws {
        guard duration > 0, start >= 0 else { throw ValidationError("--start must be >= 0 and --duration > 0") }
        guard (0.25...1).contains(strength) else { throw ValidationError("--strength must be between 0.25 and 1") }
    }

    func run() async throws {
        try await reportingErrors {
            let evaluator = Evaluator()
            evaluator.excerptStart = start
            evaluator.excerptDuration = duration
            evaluator.strength = strength
            if let only {
                let wanted = only.split(separator: "|").map(String.init)
                evaluator.attacks = [Attack.matrix[0]] + Attack.matrix.dropFirst().filter { attack in wanted.contains { attack.name.contains($0) } }
            }
            let work = FileManager.default.temporaryDirectory.appendingPathComponent("hallmark-eval-\(UUID().uuidString.prefix(8))")
            defer { try? FileManager.default.removeItem(at: work) }
            FileHandle.standardOutput.write(Data("| attack | detected | mark id correct | bit accuracy | p-value | PSNR (dB) | time (s) |\n|---|---|---|---|---|---|---|\n".utf8))
            let summary = try await evaluator.run(input: URL(fileURLWithPath: input), workDirectory: work) { row in
                // Unbuffered, so a long run shows each row as it finishes.
                FileHandle.standardOutput.write(Data((EvalCommand.format(row) + "\n").utf8))
            }
            let missed = summary.rows.filter { !$0.markIdCorrect && !$0.mayFail }.count
            let wrong = summary.rows.filter(\.wrongId).count
            print("")
            print(String(format: "invisible layer alone: PSNR %.2f dB, SSIM %.4f (each frame with the mark vs without, before encoding)", summary.layerPSNR, summary.layerSSIM))
            print(String(format: "delivered file: PSNR %.2f dB, SSIM %.4f (stamped clip vs the same encode without the mark; includes the encoder rounding two different pictures differently)", summary.deliveredPSNR, summary.deliveredSSIM))
            print("exact id: \(summary.rows.filter(\.markIdCorrect).count)/\(summary.rows.count); misses on required rows: \(missed); wrong ids: \(wrong)")
            if let json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                try encoder.encode(summary).write(to: URL(fileURLWithPath: json))
            }
        }
    }

    static func format(_ row: EvaluationRow) -> String {
        if let error = row.error { return "| \(row.attack) | error | - | - | - | - | - | (\(error))" }
        let p = row.pValue < 1e-300 || row.pValue == 0 ? String(format: "1e%.0f", row.log10PValue) : String(format: "%.1e", row.pValue)
        let psnr = row.psnr.map { $0.isInfinite ? "inf" : String(format: "%.1f", $0) } ?? "-"
        let correct = row.markIdCorrect ? "yes" : (row.wrongId ? "WRONG" : "no")
        return "| \(row.attack) | \(row.detected ? "yes" : "no") | \(correct) | \(String(format: "%.2f", row.bitAccuracy)) | \(p) | \(psnr) | \(String(format: "%.2f", row.seconds)) |"
    }
}
