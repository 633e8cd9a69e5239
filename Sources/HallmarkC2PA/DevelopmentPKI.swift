import Foundation
import HallmarkCrypto
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A local three-level PKI for development: a root CA (the trust anchor readers are given),
/// an intermediate CA, and a signer certificate fit for C2PA claim signing.
///
/// Files in the directory: `root-ca.pem`, `root-ca.key`, `intermediate.pem`,
/// `intermediate.key`, `signer.pem` (leaf + intermediate, no root) and `signer.key`.
/// Keys are PKCS#8 PEM, created with mode 0600.
public enum DevelopmentPKI {
    static let claimSigningEKU = "1.3.6.1.4.1.62558.2.1"

    public static func rootCertificateURL(in directory: URL) -> URL { directory.appendingPathComponent("root-ca.pem") }
    static func signerKeyURL(in directory: URL) -> URL { directory.appendingPathComponent("signer.key") }
    static func signerChainURL(in directory: URL) -> URL { directory.appendingPathComponent("signer.pem") }

    /// Creates the PKI; refuses to replace existing keys (`C2PAError` with code `.exists`).
    ///
    /// The files are made in a private temporary directory beside `directory`, which is then
    /// renamed to it: the PKI appears whole or not at all, and when several processes create it
    /// at once one wins and the others find the winner's keys.
    public static func create(in directory: URL, algorithm: SigningAlgorithm = .es256) throws {
        let names = ["root-ca.pem", "root-ca.key", "intermediate.pem", "intermediate.key", "signer.pem", "signer.key"]
        for name in names where FileManager.default.fileExists(atPath: directory.appendingPathComponent(name).path) {
            throw C2PAError(.exists, "\(directory.appendingPathComponent(name).path) already exists; remove the old keys first")
        }
        let parent = directory.deletingLastPathComponent()
        let staging = parent.appendingPathComponent(".\(directory.lastPathComponent).creating-\(UUID().uuidString.prefix(8))")
        do {
            try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)
            try FileManager.default.createDirectory(at: staging, withIntermediateDirectories: false,
                                                    attributes: [.posixPermissions: 0o700])
        } catch {
            throw C2PAError(.io, "cannot create \(directory.path): \(error.localizedDescription)")
        }
        defer { try? FileManager.default.removeItem(at: staging) }
        do {
            try writeKeys(in: staging, algorithm: algorithm)
        } catch {
            throw C2PAError.wrap(error, as: .key)
        }
        // rename(2) replaces an empty directory but never one with files in it.
        if rename(staging.path, directory.path) != 0 {
            if errno == ENOTEMPTY || errno == EEXIST {
                throw C2PAError(.exists, "\(directory.path) already holds keys; remove the old keys first")
            }
            throw C2PAError(.io, "cannot create \(directory.path): \(String(cString: strerror(errno)))")
        }
    }

    private static func writeKeys(in directory: URL, algorithm: SigningAlgorithm) throws {
        let rootKey = try PrivateKey.generate(algorithm.keyType)
        let root = try Certificate.issue(CertificateTemplate(
            subject: [("CN", "Hallmark Development Root CA"), ("O", "Hallmark (development)")],
            extensions: [("basicConstraints", "critical,CA:TRUE"),
                         ("keyUsage", "critical,keyCertSign,cRLSign"),
                         ("subjectKeyIdentifier", "hash"),
                         ("authorityKeyIdentifier", "keyid:always")],
            validityDays: 3650), subjectKey: rootKey, issuer: nil)
        let intermediateKey = try PrivateKey.generate(algorithm.keyType)
        let intermediate = try Certificate.issue(CertificateTemplate(
            subject: [("CN", "Hallmark Development Intermediate CA"), ("O", "Hallmark (development)")],
            extensions: [("basicConstraints", "critical,CA:TRUE,pathlen:0"),
                         ("keyUsage", "critical,keyCertSign,cRLSign"),
                         ("subjectKeyIdentifier", "hash"),
                         ("authorityKeyIdentifier", "keyid:always")],
            validityDays: 1825), subjectKey: intermediateKey, issuer: (root, rootKey))
        let signerKey = try PrivateKey.generate(algorithm.keyType)
        let signer = try Certificate.issue(CertificateTemplate(
            subject: [("CN", "Hallmark Development Signer"), ("O", "Hallmark (development)")],
            extensions: [("basicConstraints", "critical,CA:FALSE"),
                         ("keyUsage", "critical,digitalSignature"),
                         ("extendedKeyUsage", "\(claimSigningEKU),emailProtection"),
                         ("subjectKeyIdentifier", "hash"),
                         ("authorityKeyIdentifier", "keyid:always")],
            validityDays: 730), subjectKey: signerKey, issuer: (intermediate, intermediateKey))

        try writePrivate(rootKey.pkcs8PEM(), to: directory.appendingPathComponent("root-ca.key"))
        try writePrivate(intermediateKey.pkcs8PEM(), to: directory.appendingPathComponent("intermediate.key"))
        try writePrivate(signerKey.pkcs8PEM(), to: signerKeyURL(in: directory))
        try writePublic(root.pem, to: rootCertificateURL(in: directory))
        try writePublic(intermediate.pem, to: directory.appendingPathComponent("intermediate.pem"))
        try writePublic(signer.pem + intermediate.pem, to: signerChainURL(in: directory))
    }

    /// The signer key and chain made by `create`.
    public static func signingIdentity(in directory: URL) throws -> SigningIdentity {
        try SigningIdentity.load(keyFile: signerKeyURL(in: directory), chainFile: signerChainURL(in: directory))
    }

    /// Writes a new file created with `mode` from the start (O_EXCL: never replaces a file).
    static func write(_ text: String, to url: URL, mode: mode_t) throws {
        let fd = open(url.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw C2PAError(.io, "cannot create \(url.path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let bytes = Array(text.utf8)
        var written = 0
        while written < bytes.count {
            let n = bytes[written...].withUnsafeBytes { posixWrite(fd, $0.baseAddress!, $0.count) }
            guard n > 0 else { throw C2PAError(.io, "cannot write \(url.path): \(String(cString: strerror(errno)))") }
            written += n
        }
        guard fsync(fd) == 0 else { throw C2PAError(.io, "cannot sync \(url.path)") }
    }

    static func writePrivate(_ text: String, to url: URL) throws { try write(text, to: url, mode: 0o600) }
    static func writePublic(_ text: String, to url: URL) throws { try write(text, to: url, mode: 0o644) }
}

@inline(__always)
private func posixWrite(_ fd: Int32, _ pointer: UnsafeRawPointer, _ count: Int) -> Int {
    #if canImport(Glibc)
    return Glibc.write(fd, pointer, count)
    #else
    return Darwin.write(fd, pointer, count)
    #endif
}
