import Foundation
import HallmarkC2PA
import Testing

/// Our validator on the reference SDK's fixtures, compared with what c2pa-rs says of them.
@Suite("Validation of the c2pa-rs fixtures")
struct FixtureValidationTests {
    static let anchorsPEM: String? = try? String(contentsOf: TestSupport.fixtureCerts.appendingPathComponent("test_cert_root_bundle.pem"), encoding: .utf8)

    /// The fixture, the anchors used, and c2pa-rs 0.91.3's state and failure codes
    /// (active manifest plus ingredients), as printed by interop/read_state.py.
    static let expectations: [(file: String, anchors: Bool, state: String?, failures: [String])] = [
        ("video1.mp4", true, "Valid", ["signingCredential.untrusted"]),
        ("video1.mp4", false, "Valid", ["signingCredential.untrusted", "signingCredential.untrusted"]),
        ("legacy.mp4", true, "Valid", ["signingCredential.untrusted", "signingCredential.untrusted"]),
        ("dashinit.mp4", true, "Invalid", ["signingCredential.untrusted", "assertion.bmffHash.mismatch"]),
        ("video1_no_manifest.mp4", true, nil, []),
        ("c.mov", true, nil, []),
        ("nested_moov_1000.mp4", true, nil, []),
    ]

    @Test("state and failure codes match c2pa-rs", .enabled(if: TestSupport.hasFixtures, "needs ../shared/c2pa-fixtures"),
          arguments: 0..<expectations.count)
    func fixtureMatches(index: Int) {
        let expected = Self.expectations[index]
        let validator = ManifestValidator(trustAnchorsPEM: expected.anchors ? Self.anchorsPEM : nil)
        let report = validator.validate(file: TestSupport.fixture(expected.file))
        #expect(report.validationState == expected.state, "\(expected.file): \(report)")
        #expect(report.statusCodes.sorted() == expected.failures.sorted(), "\(expected.file): \(report)")
        #expect(report.present == (expected.state != nil))
    }

    @Test("the fragmented fixture validates with its fragment", .enabled(if: TestSupport.hasFixtures, "needs ../shared/c2pa-fixtures"))
    func fragmented() {
        let report = ManifestValidator(trustAnchorsPEM: Self.anchorsPEM)
            .validate(file: TestSupport.fixture("dashinit.mp4"), fragments: [TestSupport.fixture("dash1.m4s")])
        #expect(report.validationState == "Valid", "\(report)")
        #expect(report.statusCodes == ["signingCredential.untrusted"], "\(report)")
        #expect(report.successCodes?.contains("assertion.bmffHash.match") == true)
    }

    @Test("video1.mp4: time-stamp, signer and assertions are reported", .enabled(if: TestSupport.hasFixtures, "needs ../shared/c2pa-fixtures"))
    func video1Details() {
        let report = ManifestValidator(trustAnchorsPEM: Self.anchorsPEM).validate(file: TestSupport.fixture("video1.mp4"))
        #expect(report.activeManifest == "urn:uuid:8da8ffb6-3de4-430a-8924-5b58b561e647")
        #expect(report.signedAt != nil, "\(report)")
        #expect(report.signer != nil)
        #expect(report.successCodes?.contains("signingCredential.trusted") == true, "\(report)")
        #expect(report.assertions.contains { $0.hasPrefix("c2pa.hash.bmff") })
        #expect(report.source == "embedded")
    }

    @Test("nested boxes are rejected cleanly", .enabled(if: TestSupport.hasFixtures, "needs ../shared/c2pa-fixtures"))
    func nested() {
        let report = ManifestValidator(trustAnchorsPEM: nil).validate(file: TestSupport.fixture("nested_moov_1000.mp4"))
        #expect(report.present == false)
        #expect(report.error?.contains("nested") == true, "\(report)")
    }
}
