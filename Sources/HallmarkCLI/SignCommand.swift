import ArgumentParser
import Foundation
import Hallmark
import HallmarkC2PA
import HallmarkMedia

struct SignCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sign",
        abstract: "Embed a signed C2PA manifest in an existing MP4/MOV, without watermarking or re-encoding it.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var signing: SigningOptions

    @Argument(help: "The MP4 or MOV to sign.")
    var input: String

    @Option(name: .short, help: ArgumentHelp("Output file.", valueName: "output"))
    var output: String

    @Option(help: "A title for the manifest.")
    var title: String?

    func validate() throws {
        if URL(fileURLWithPath: input).standardizedFileURL.path == URL(fileURLWithPath: output).standardizedFileURL.path {
            throw ValidationError("-o must not be the input file")
        }
    }

    func run() throws {
        try reportingErrors {
            // A regular file only: a FIFO would block the reader forever.
            _ = try InputFile.status(of: input)
            guard FileManager.default.isReadableFile(atPath: input) else { throw HallmarkError(.invalidInput, "\(input): permission denied") }
            let home = global.resolvedHome
            guard let (identity, _) = try ContentCredentials.identity(for: try signing.choice(), home: home) else { return }
            let destination = try AtomicOutput(destination: URL(fileURLWithPath: output), input: URL(fileURLWithPath: input))
            let generator = signing.generatorValue
            let request = ManifestRequest(generatorName: generator.name, generatorVersion: generator.version, title: title)
            do {
                try ManifestEmbedder.embed(input: URL(fileURLWithPath: input), output: destination.temporary, request: request, identity: identity)
            } catch {
                throw HallmarkError(.invalidInput, "\(input): \(error)")
            }
            try destination.commit()
            print("signed \(output) (signer: \(identity.signerName ?? "unknown"))")
        }
    }
}
