import Foundation
import HallmarkC2PA
import HallmarkCrypto
import Testing

@Suite("Development PKI and signing identities")
struct SigningTests {
    @Test("creates a three-level PKI with private keys created 0600", arguments: SigningAlgorithm.allCases)
    func createsPKI(algorithm: SigningAlgorithm) throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try DevelopmentPKI.create(in: dir, algorithm: algorithm)
        for key in ["root-ca.key", "intermediate.key", "signer.key"] {
            let attributes = try FileManager.default.attributesOfItem(atPath: dir.appendingPathComponent(key).path)
            #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600, "\(key)")
            let pem = try String(contentsOf: dir.appendingPathComponent(key), encoding: .utf8)
            #expect(pem.hasPrefix("-----BEGIN PRIVATE KEY-----"), "PKCS#8")
        }
        let identity = try DevelopmentPKI.signingIdentity(in: dir)
        #expect(identity.algorithm == algorithm)
        #expect(identity.chain.count == 2)
        let leaf = identity.chain[0]
        #expect(leaf.keyUsageDigitalSignature && !leaf.isCA && leaf.hasAuthorityKeyIdentifier)
        #expect(Set(leaf.extendedKeyUsageOIDs ?? []) == ["1.3.6.1.4.1.62558.2.1", "1.3.6.1.5.5.7.3.4"])
        let root = try #require(try Certificate.parsePEM(String(contentsOf: DevelopmentPKI.rootCertificateURL(in: dir), encoding: .utf8)).first)
        #expect(root.isSelfIssued && root.isCA)
        #expect(Certificate.verifyChain(leaf: leaf, intermediates: [identity.chain[1]], anchors: [root], at: Date()) == .trusted)
        #expect(Certificate.verifyChain(leaf: leaf, intermediates: [], anchors: [root], at: Date()) != .trusted)
        // Never replaces existing keys.
        #expect(throws: C2PAError.self) { try DevelopmentPKI.create(in: dir, algorithm: algorithm) }
    }

    @Test("a key that does not match the chain is refused; garbage does not parse")
    func mismatchedIdentity() throws {
        let a = try TestSupport.temporaryDirectory()
        let b = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: a); try? FileManager.default.removeItem(at: b) }
        try DevelopmentPKI.create(in: a, algorithm: .es256)
        try DevelopmentPKI.create(in: b, algorithm: .es256)
        let keyA = try String(contentsOf: a.appendingPathComponent("signer.key"), encoding: .utf8)
        let chainB = try String(contentsOf: b.appendingPathComponent("signer.pem"), encoding: .utf8)
        #expect(throws: C2PAError.self) { try SigningIdentity(privateKeyPEM: keyA, certificateChainPEM: chainB) }
        #expect(throws: C2PAError.self) { try SigningIdentity(privateKeyPEM: "not a key", certificateChainPEM: chainB) }
        #expect(throws: C2PAError.self) { try SigningIdentity(privateKeyPEM: keyA, certificateChainPEM: "") }
        #expect(throws: (any Error).self) { try Certificate(der: [0x30, 0x03, 0x02, 0x01, 0x01]) }
    }

    @Test("loads the reference SDK's test keys", .enabled(if: TestSupport.hasFixtures, "needs ../shared/c2pa-fixtures"),
          arguments: [("es256", SigningAlgorithm.es256), ("ps256", .ps256), ("ed25519", .ed25519)])
    func fixtureKeys(name: String, algorithm: SigningAlgorithm) throws {
        let identity = try SigningIdentity.load(keyFile: TestSupport.fixtureCerts.appendingPathComponent("\(name).pem"),
                                                chainFile: TestSupport.fixtureCerts.appendingPathComponent("\(name).pub"))
        #expect(identity.algorithm == algorithm)
    }

    @Test("signatures verify and fail on other data", arguments: [KeyType.ecP256, .rsa(bits: 2048), .ed25519])
    func signVerify(type: KeyType) throws {
        let key = try PrivateKey.generate(type)
        let scheme: SignatureScheme = type == .ecP256 ? .es256 : type == .ed25519 ? .ed25519 : .ps256
        let signature = try key.sign(Array("hello".utf8), scheme: scheme)
        if scheme == .es256 { #expect(signature.count == 64) }
        #expect(key.publicKey.verify(signature: signature, message: Array("hello".utf8), scheme: scheme))
        #expect(!key.publicKey.verify(signature: signature, message: Array("hellO".utf8), scheme: scheme))
        #expect(!key.publicKey.verify(signature: [1, 2, 3], message: Array("hello".utf8), scheme: scheme))
    }
}
