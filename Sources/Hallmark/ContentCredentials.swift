import Foundation
import HallmarkC2PA

/// How `stamp` and `sign` sign the C2PA manifest.
public enum SigningChoice: Sendable {
    /// The development PKI in `HALLMARK_HOME/keys/` (created on first use).
    case development
    /// A production key and chain.
    case identity(SigningIdentity)
    /// No manifest (watermarks only).
    case none
}

/// The generator that made the clip, as recorded in the manifest's `c2pa.created` action.
public struct Generator: Sendable, Equatable {
    public var name: String
    public var version: String

    public init(name: String, version: String) {
        self.name = name
        self.version = version
    }

    public static let hallmark = Generator(name: "Hallmark", version: HallmarkVersion.string)

    /// `NAME/VERSION` or `NAME`.
    public static func parse(_ text: String) -> Generator {
        let parts = text.split(separator: "/", maxSplits: 1).map(String.init)
        return Generator(name: parts.first ?? text, version: parts.count > 1 ? parts[1] : "unknown")
    }
}

/// Resolves signing identities and trust anchors for a home directory.
public enum ContentCredentials {
    /// The identity for `choice`, creating the development PKI under `home` when it does not exist.
    /// Returns nil for `.none`. `created` is true when keys were made now.
    public static func identity(for choice: SigningChoice, home: HallmarkHome) throws -> (identity: SigningIdentity, created: Bool)? {
        switch choice {
        case .none:
            return nil
        case .identity(let identity):
            return (identity, false)
        case .development:
            let directory = home.keysDirectory
            var created = false
            if !FileManager.default.fileExists(atPath: DevelopmentPKI.rootCertificateURL(in: directory).path) {
                do {
                    try home.ensureExists()
                    try DevelopmentPKI.create(in: directory)
                    created = true
                } catch {
                    throw HallmarkError(.configuration, "cannot create development signing keys in \(directory.path): \(error)")
                }
            }
            do {
                return (try DevelopmentPKI.signingIdentity(in: directory), created)
            } catch {
                throw HallmarkError(.configuration, "signing keys in \(directory.path): \(error)")
            }
        }
    }

    /// Loads a production key (PKCS#8 PEM) and chain (PEM, leaf first, without the root).
    public static func loadIdentity(key: String, chain: String) throws -> SigningIdentity {
        do {
            return try SigningIdentity.load(keyFile: URL(fileURLWithPath: key), chainFile: URL(fileURLWithPath: chain))
        } catch {
            throw HallmarkError(.configuration, "signing key: \(error)")
        }
    }

    /// The PEM text of `path`, or of the home's development root CA when `path` is nil and it exists.
    public static func trustAnchors(path: String?, home: HallmarkHome) throws -> String? {
        if let path {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw HallmarkError(.configuration, "cannot read trust anchors at \(path)")
            }
            return String(decoding: data, as: UTF8.self)
        }
        let root = DevelopmentPKI.rootCertificateURL(in: home.keysDirectory)
        return FileManager.default.contents(atPath: root.path).map { String(decoding: $0, as: UTF8.self) }
    }
}
