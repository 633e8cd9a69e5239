import ArgumentParser
import Foundation
import Hallmark
import HallmarkC2PA

struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Manage C2PA signing keys.",
        subcommands: [Init.self])

    struct Init: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a development CA, intermediate and signer certificate in HOME/keys (and the watermark key if missing).",
            discussion: "Private keys are written with mode 0600 and never printed. Readers use HOME/keys/root-ca.pem as their trust anchor.")

        enum Algorithm: String, ExpressibleByArgument, CaseIterable { case es256, ps256, ed25519 }

        @OptionGroup var global: GlobalOptions

        @Option(help: "Signature algorithm: es256, ps256 or ed25519.")
        var algorithm: Algorithm = .es256

        @Flag(help: "A development home: verify (with this home) trusts the new root CA without --trust-dev-root.")
        var dev = false

        func run() throws {
            try reportingErrors {
                let home = global.resolvedHome
                try home.ensureExists()
                do {
                    try DevelopmentPKI.create(in: home.keysDirectory, algorithm: SigningAlgorithm(rawValue: algorithm.rawValue)!)
                } catch {
                    throw HallmarkError(.configuration, "\(error)")
                }
                _ = try WatermarkKeyStore.loadOrCreate(at: home.watermarkKeyURL)
                if dev { _ = FileManager.default.createFile(atPath: home.developmentTrustMarkerURL.path, contents: Data("verify trusts root-ca.pem of this home (keys init --dev)\n".utf8)) }
                print("created development signing keys in \(home.keysDirectory.path)")
                print("trust anchor: \(DevelopmentPKI.rootCertificateURL(in: home.keysDirectory).path)"
                      + (dev ? " (trusted by verify with this home)" : " (verify trusts it only with --trust-dev-root)"))
            }
        }
    }
}
