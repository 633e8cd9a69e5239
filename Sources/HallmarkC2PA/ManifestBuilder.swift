import Foundation
import HallmarkCrypto

/// What goes into a manifest.
public struct ManifestRequest: Sendable {
    public var generatorName: String
    public var generatorVersion: String
    public var title: String?
    /// The watermark's mark id, recorded as an 8-byte big-endian soft binding.
    public var softBindingMarkId: UInt64?
    public var model: String?
    /// A label for the clip (never the raw prompt). The manifest is public and names no
    /// account: the soft binding's mark id is the opaque reference only the registry resolves.
    public var clipLabel: String?

    public init(generatorName: String, generatorVersion: String, title: String? = nil, softBindingMarkId: UInt64? = nil,
                model: String? = nil, clipLabel: String? = nil) {
        self.generatorName = generatorName
        self.generatorVersion = generatorVersion
        self.title = title
        self.softBindingMarkId = softBindingMarkId
        self.model = model
        self.clipLabel = clipLabel
    }
}

/// Builds the JUMBF manifest store of a v2 claim: assertions, claim, COSE signature.
struct ManifestBuilder {
    static let softBindingAlgorithm = "io.hallmark.spectral.v1"
    static let generationLabel = "io.hallmark.generation"
    static let trainedAlgorithmicMedia = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"

    let request: ManifestRequest
    let identity: SigningIdentity
    let manifestLabel: String
    let instanceID: String

    init(request: ManifestRequest, identity: SigningIdentity) {
        self.request = request
        self.identity = identity
        manifestLabel = "urn:c2pa:\(UUID().uuidString.lowercased())"
        instanceID = "xmp:iid:\(UUID().uuidString.lowercased())"
    }

    /// Labels and CBOR of every assertion, the BMFF hash holding `bmffHash`.
    func assertions(bmffHash: [UInt8]) -> [(String, [UInt8])] {
        var list: [(String, [UInt8])] = []
        let action = CBOR.textMap([
            ("action", .text("c2pa.created")),
            ("digitalSourceType", .text(Self.trainedAlgorithmicMedia)),
            ("softwareAgent", .textMap([("name", .text(request.generatorName)), ("version", .text(request.generatorVersion))])),
        ])
        list.append(("c2pa.actions.v2", CBOR.textMap([("actions", .array([action]))]).encoded()))
        list.append(("c2pa.hash.bmff.v3", BMFFHashAssertion(hash: bmffHash).cbor.encoded()))
        if let mark = request.softBindingMarkId {
            let value = (0..<8).map { UInt8((mark >> (56 - 8 * UInt64($0))) & 0xff) }
            let binding = CBOR.textMap([
                ("alg", .text(Self.softBindingAlgorithm)),
                ("blocks", .array([.textMap([("scope", .textMap([])), ("value", .bytes(value))])])),
                ("pad", .bytes([])),
            ])
            list.append(("c2pa.soft-binding", binding.encoded()))
        }
        var generation: [(String, CBOR)] = []
        if let model = request.model { generation.append(("model", .text(model))) }
        if let clip = request.clipLabel { generation.append(("clipLabel", .text(clip))) }
        if !generation.isEmpty { list.append((Self.generationLabel, CBOR.textMap(generation).encoded())) }
        return list
    }

    /// The complete, signed manifest store. `timeStamper`, when given, turns the signature's
    /// countersignature bytes into an RFC 3161 time-stamp token, carried as `sigTst2`.
    func store(bmffHash: [UInt8], timeStamper: (([UInt8]) throws -> [UInt8])? = nil) throws -> [UInt8] {
        var assertionBoxes: [[UInt8]] = []
        var references: [CBOR] = []
        for (label, cbor) in assertions(bmffHash: bmffHash) {
            let box = JUMBF.superbox(typeCode: "cbor", label: label, children: [JUMBF.contentBox(type: "cbor", payload: cbor)])
            assertionBoxes.append(box)
            references.append(.textMap([("url", .text("self#jumbf=c2pa.assertions/\(label)")),
                                        ("hash", .bytes(HashAlgorithm.sha256.hash(box[8...])))]))
        }
        var claim: [(String, CBOR)] = [
            ("instanceID", .text(instanceID)),
            ("claim_generator_info", .textMap([("name", .text(request.generatorName)), ("version", .text(request.generatorVersion))])),
            ("signature", .text("self#jumbf=c2pa.signature")),
            ("created_assertions", .array(references)),
            ("alg", .text("sha256")),
        ]
        if let title = request.title { claim.insert(("dc:title", .text(title)), at: 1) }
        let claimBytes = CBOR.textMap(claim).encoded()
        var sign1 = try COSESign1.sign(claim: claimBytes, identity: identity)
        if let timeStamper {
            // C2PA v2 time-stamps: the token's imprint covers the signature (10.3.2.5).
            let countersigned = CBOR.array([.text("CounterSignature"), .bytes(sign1.protectedBytes), .bytes([]),
                                            .bytes(CBOR.bytes(sign1.signature).encoded())]).encoded()
            let token = try timeStamper(countersigned)
            sign1.unprotectedHeader = .textMap([("sigTst2", .textMap([("tstTokens", .array([.textMap([("val", .bytes(token))])]))]))])
        }
        let signature = sign1.encoded

        let manifest = JUMBF.superbox(typeCode: "c2ma", label: manifestLabel, children: [
            JUMBF.superbox(typeCode: "c2as", label: "c2pa.assertions", children: assertionBoxes),
            JUMBF.superbox(typeCode: "c2cl", label: "c2pa.claim.v2", children: [JUMBF.contentBox(type: "cbor", payload: claimBytes)]),
            JUMBF.superbox(typeCode: "c2cs", label: "c2pa.signature", children: [JUMBF.contentBox(type: "cbor", payload: signature)]),
        ])
        return JUMBF.superbox(typeCode: "c2pa", label: "c2pa", children: [manifest])
    }
}
