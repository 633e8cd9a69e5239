import Foundation
import HallmarkCrypto

/// The COSE algorithms Hallmark signs manifests with.
public enum SigningAlgorithm: String, Sendable, CaseIterable {
    case es256, ps256, ed25519

    /// The COSE algorithm identifier (RFC 9053): ES256 -7, PS256 -37, EdDSA -8.
    public var coseIdentifier: Int {
        switch self {
        case .es256: return -7
        case .ps256: return -37
        case .ed25519: return -8
        }
    }

    var scheme: SignatureScheme {
        switch self {
        case .es256: return .es256
        case .ps256: return .ps256
        case .ed25519: return .ed25519
        }
    }

    var keyType: KeyType {
        switch self {
        case .es256: return .ecP256
        case .ps256: return .rsa(bits: 2048)
        case .ed25519: return .ed25519
        }
    }
}

/// A private key and the certificate chain (leaf first, no root) that signs manifests.
/// The algorithm follows the key: EC P-256 signs ES256, RSA signs PS256, Ed25519 signs EdDSA.
public struct SigningIdentity: Sendable {
    let privateKey: PrivateKey
    /// Leaf first, then intermediates.
    public let chain: [Certificate]
    public let algorithm: SigningAlgorithm

    public init(privateKeyPEM: String, certificateChainPEM: String) throws {
        do {
            privateKey = try PrivateKey(pem: privateKeyPEM)
        } catch {
            throw C2PAError(.key, "the private key does not parse as PEM")
        }
        var certificates: [Certificate]
        do { certificates = try Certificate.parsePEM(certificateChainPEM) } catch {
            throw C2PAError.wrap(error, as: .certificate)
        }
        guard let leaf = certificates.first else {
            throw C2PAError(.certificate, "the certificate chain PEM holds no certificate")
        }
        // A trailing self-signed root is left out of the manifest, as C2PA asks.
        if certificates.count > 1, let last = certificates.last, last.isSelfIssued, last.isCA {
            certificates.removeLast()
        }
        guard leaf.publicKey?.der == privateKey.publicKey.der else {
            throw C2PAError(.key, "the private key does not match the first certificate of the chain")
        }
        switch privateKey.type {
        case .ecP256: algorithm = .es256
        case .rsa(let bits):
            guard bits >= 2048 else { throw C2PAError(.key, "RSA keys must have at least 2048 bits (this one has \(bits))") }
            algorithm = .ps256
        case .ed25519: algorithm = .ed25519
        default: throw C2PAError(.key, "unsupported key type: use EC P-256, RSA (2048 bits or more) or Ed25519")
        }
        chain = certificates
    }

    /// Reads a PKCS#8 key PEM and a chain PEM (leaf first).
    public static func load(keyFile: URL, chainFile: URL) throws -> SigningIdentity {
        let key: String
        let chain: String
        do {
            key = try String(contentsOf: keyFile, encoding: .utf8)
            chain = try String(contentsOf: chainFile, encoding: .utf8)
        } catch {
            throw C2PAError(.io, "cannot read the signing key or chain: \(error.localizedDescription)")
        }
        return try SigningIdentity(privateKeyPEM: key, certificateChainPEM: chain)
    }

    /// Signs the COSE Sig_structure bytes.
    func sign(_ message: [UInt8]) throws -> [UInt8] {
        do { return try privateKey.sign(message, scheme: algorithm.scheme) } catch {
            throw C2PAError.wrap(error, as: .key)
        }
    }

    /// Length of a signature in bytes.
    var signatureLength: Int {
        switch privateKey.type {
        case .rsa(let bits): return (bits + 7) / 8
        default: return 64
        }
    }

    /// Subject common name of the leaf.
    public var signerName: String? { chain.first?.subjectCommonName }
}
