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
                } catch let error as C2PAError where error.code == .exists {
                    // Another process created them a moment ago: use its keys.
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

    /// The trust anchors a verifier uses, and how they were chosen (the report says so).
    public struct TrustAnchors: Sendable {
        public var pem: String?
        public var description: String
    }

    /// The PEM bundle at `path` when given. Otherwise the home's development root, but only when
    /// asked (`trustDevelopmentRoot`, the `--trust-dev-root` flag) or when the home was made by
    /// `keys init --dev`: its private key sits beside it, so trusting it by default would let
    /// anyone with this machine's files sign a "Trusted" manifest.
    public static func trustAnchors(path: String?, home: HallmarkHome, trustDevelopmentRoot: Bool = false) throws -> TrustAnchors {
        if let path {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw HallmarkError(.configuration, "cannot read trust anchors at \(path)")
            }
            return TrustAnchors(pem: String(decoding: data, as: UTF8.self), description: "the trust anchors in \(path)")
        }
        let root = DevelopmentPKI.rootCertificateURL(in: home.keysDirectory)
        let reason = trustDevelopmentRoot ? "--trust-dev-root" : home.trustsDevelopmentRoot ? "this home was made by keys init --dev" : nil
        if let reason, let data = FileManager.default.contents(atPath: root.path) {
            return TrustAnchors(pem: String(decoding: data, as: UTF8.self),
                                description: "the development root of \(home.directory.path) (\(reason)): for testing only")
        }
        return TrustAnchors(pem: nil, description: "none configured (--trust-anchors PEM): a valid signature reads as Valid, not Trusted")
    }
}

extension HallmarkHome {
    /// Marks a home whose development root verifiers of this home trust (`keys init --dev`).
    public var developmentTrustMarkerURL: URL { keysDirectory.appendingPathComponent("trust-dev-root") }

    public var trustsDevelopmentRoot: Bool { FileManager.default.fileExists(atPath: developmentTrustMarkerURL.path) }
}
