import ArgumentParser
import Hallmark

/// How a command signs Content Credentials.
struct SigningOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Production signing key (PKCS#8 PEM); default: the development keys in HOME/keys.", valueName: "key.pem"))
    var key: String?

    @Option(help: ArgumentHelp("Certificate chain for --key (PEM, leaf first, without the root).", valueName: "chain.pem"))
    var cert: String?

    @Option(help: ArgumentHelp("The generator recorded in the manifest, as NAME/VERSION.", valueName: "name/version"))
    var generator: String?

    func validate() throws {
        if (key == nil) != (cert == nil) { throw ValidationError("--key and --cert go together") }
    }

    func choice() throws -> SigningChoice {
        guard let key, let cert else { return .development }
        return .identity(try ContentCredentials.loadIdentity(key: key, chain: cert))
    }

    var generatorValue: Generator { generator.map(Generator.parse) ?? .hallmark }
}
