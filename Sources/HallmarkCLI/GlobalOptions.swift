import ArgumentParser
import Foundation
import Hallmark
import HallmarkRegistry

/// Options every subcommand takes.
public struct GlobalOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Hallmark's state directory (key, registry, signing keys).", valueName: "dir"))
    var home: String?

    @Option(help: ArgumentHelp("Registry location: a SQLite path (default: HOME/registry.sqlite).", valueName: "url"))
    var registry: String?

    public init() {}

    var resolvedHome: HallmarkHome { HallmarkHome.resolve(home) }

    func registryLocation() throws -> RegistryLocation? {
        guard let registry else { return nil }
        do { return try RegistryLocation.parse(registry) } catch {
            throw ValidationError("--registry: \(error)")
        }
    }
}
