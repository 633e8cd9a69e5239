import Foundation

/// Where Hallmark keeps its state: `$HALLMARK_HOME`, or `~/.hallmark`.
///
/// ```
/// registry.sqlite   the mark registry (SQLite)
/// watermark.key     the secret watermark key (mode 0600)
/// keys/             signing keys and certificates
/// ```
public struct HallmarkHome: Sendable {
    public let directory: URL

    public init(directory: URL) {
        self.directory = directory
    }

    /// `--home` if given, else `$HALLMARK_HOME`, else `~/.hallmark`.
    public static func resolve(_ explicit: String? = nil) -> HallmarkHome {
        if let explicit, !explicit.isEmpty { return HallmarkHome(directory: URL(fileURLWithPath: explicit)) }
        if let env = ProcessInfo.processInfo.environment["HALLMARK_HOME"], !env.isEmpty {
            return HallmarkHome(directory: URL(fileURLWithPath: env))
        }
        return HallmarkHome(directory: FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".hallmark"))
    }

    public var registryURL: URL { directory.appendingPathComponent("registry.sqlite") }
    public var watermarkKeyURL: URL { directory.appendingPathComponent("watermark.key") }
    public var keysDirectory: URL { directory.appendingPathComponent("keys") }

    /// Creates the directory (mode 0700) if it does not exist.
    public func ensureExists() throws {
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch {
            throw HallmarkError(.cannotWrite, "cannot create \(directory.path): \(error.localizedDescription)")
        }
    }
}
