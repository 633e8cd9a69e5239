import Foundation
import Testing
@testable import HallmarkC2PA
import HallmarkCrypto

/// The openssl command line, which plays a time-stamping authority here.
let opensslCommand: URL? = ["/usr/bin/openssl", "/usr/local/bin/openssl"].map { URL(fileURLWithPath: $0) }
    .first { FileManager.default.isExecutableFile(atPath: $0.path) }

/// A time-stamp token decides the time a signer's certificate is checked at, so only a token
/// from a trusted time-stamping authority may do that (hostile-files issue, F8). A self-made,
/// back-dated token used to make an expired signing key look valid.
@Suite("Time-stamp authority trust", .serialized,
       .enabled(if: opensslCommand != nil, "needs the openssl command to act as a time-stamping authority"))
struct TimeStampTrustTests {
    static var openssl: URL? { opensslCommand }

    /// A throw-away TSA made with the openssl CLI: a self-signed certificate with the
    /// timeStamping key usage, and `openssl ts -reply` to sign tokens.
    struct Authority {
        let directory: URL
        var certificate: URL { directory.appendingPathComponent("tsa.pem") }

        init() throws {
            directory = try TestSupport.temporaryDirectory()
            let openssl = try #require(TimeStampTrustTests.openssl)
            try TestSupport.run(openssl, ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                                          "-keyout", directory.appendingPathComponent("tsa.key").path, "-out", certificate.path,
                                          "-days", "30", "-subj", "/CN=Self-made TSA",
                                          "-addext", "extendedKeyUsage=critical,timeStamping",
                                          "-addext", "keyUsage=critical,digitalSignature"])
            try "01\n".write(to: directory.appendingPathComponent("serial"), atomically: true, encoding: .utf8)
            try """
                [ tsa ]
                default_tsa = self_made
                [ self_made ]
                serial = \(directory.appendingPathComponent("serial").path)
                crypto_device = builtin
                signer_digest = sha256
                default_policy = 1.2.3.4.1
                digests = sha256
                ess_cert_id_alg = sha256
                """.write(to: directory.appendingPathComponent("ts.cnf"), atomically: true, encoding: .utf8)
        }

        /// A token whose imprint is the SHA-256 of `data`.
        func token(for data: [UInt8]) throws -> [UInt8] {
            let openssl = try #require(TimeStampTrustTests.openssl)
            let query = directory.appendingPathComponent("q-\(UUID().uuidString.prefix(6)).tsq")
            let token = directory.appendingPathComponent("t-\(UUID().uuidString.prefix(6)).der")
            try TestSupport.run(openssl, ["ts", "-query", "-digest", HashAlgorithm.sha256.hash(data).hexString, "-sha256", "-cert",
                                          "-no_nonce", "-out", query.path])
            try TestSupport.run(openssl, ["ts", "-reply", "-config", directory.appendingPathComponent("ts.cnf").path,
                                          "-queryfile", query.path, "-signer", certificate.path,
                                          "-inkey", directory.appendingPathComponent("tsa.key").path, "-token_out", "-out", token.path])
            return [UInt8](try Data(contentsOf: token))
        }
    }

    /// A manifest signed with the development PKI and time-stamped now by `authority`, validated
    /// three years on, when the signer's 2-year certificate has expired.
    static func validateLater(authority: Authority, trustingAuthority: Bool) throws -> ManifestReport {
        let keys = try TestSupport.temporaryDirectory().appendingPathComponent("keys")
        try DevelopmentPKI.create(in: keys)
        let builder = ManifestBuilder(request: ManifestRequest(generatorName: "test", generatorVersion: "1"),
                                      identity: try DevelopmentPKI.signingIdentity(in: keys))
        let store = try builder.store(bmffHash: [UInt8](repeating: 0, count: 32), timeStamper: authority.token(for:))
        var validator = ManifestValidator(trustAnchorsPEM: try String(contentsOf: DevelopmentPKI.rootCertificateURL(in: keys), encoding: .utf8),
                                          timeStampAnchorsPEM: trustingAuthority ? try String(contentsOf: authority.certificate, encoding: .utf8) : nil)
        validator.validationTime = Date().addingTimeInterval(3 * 365 * 86_400)
        return validator.validate(manifestStore: store, assetFile: nil)
    }

    @Test("a token from an untrusted authority is ignored: the expired signer stays expired")
    func untrustedAuthorityDoesNotBackdate() throws {
        let report = try Self.validateLater(authority: try Authority(), trustingAuthority: false)
        #expect(report.successCodes?.contains(StatusCode.timeStampValidated) == true, "the token itself verifies: \(report)")
        #expect(report.statusCodes.contains(StatusCode.timeStampUntrusted), "\(report.statusCodes)")
        #expect(report.statusCodes.contains(StatusCode.signingCredentialExpired), "\(report.statusCodes)")
        #expect(report.successCodes?.contains(StatusCode.claimSignatureInsideValidity) == false)
        #expect(report.signedAt == nil)
        #expect(report.validationState == "Invalid")
    }

    @Test("a token from a trusted authority sets the time of signing")
    func trustedAuthoritySetsTheTime() throws {
        let report = try Self.validateLater(authority: try Authority(), trustingAuthority: true)
        #expect(report.successCodes?.contains(StatusCode.timeStampTrusted) == true, "\(report)")
        #expect(report.successCodes?.contains(StatusCode.claimSignatureInsideValidity) == true, "\(report)")
        #expect(!report.statusCodes.contains(StatusCode.signingCredentialExpired))
        #expect(!report.statusCodes.contains(StatusCode.timeStampUntrusted))
        #expect(report.signedAt != nil)
    }

    @Test("the authority's certificate must carry the timeStamping key usage")
    func signerMustBeATimeStampingAuthority() throws {
        let authority = try Authority()
        let token = try TimeStampToken(der: try authority.token(for: Array("hello".utf8)))
        let anchor = try Certificate.parsePEM(try String(contentsOf: authority.certificate, encoding: .utf8))
        #expect(token.signatureVerifies)
        #expect(token.authorityVerdict(anchors: anchor) == .trusted)
        #expect(token.authorityVerdict(anchors: []) != .trusted)
        // A certificate that is not a TSA's (the development signer) is not accepted as an anchor path.
        let keys = try TestSupport.temporaryDirectory().appendingPathComponent("keys")
        try DevelopmentPKI.create(in: keys)
        let other = try Certificate.parsePEM(try String(contentsOf: DevelopmentPKI.rootCertificateURL(in: keys), encoding: .utf8))
        #expect(token.authorityVerdict(anchors: other) != .trusted)
    }
}
