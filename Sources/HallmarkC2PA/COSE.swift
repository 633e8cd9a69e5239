import HallmarkCrypto

/// A COSE_Sign1 structure (RFC 9052) with a detached payload, as C2PA claim signatures use.
public struct COSESign1: Sendable {
    /// The serialized protected header, exactly as stored (it is signed as is).
    public var protectedBytes: [UInt8]
    public var protectedHeader: CBOR
    public var unprotectedHeader: CBOR
    public var payload: [UInt8]?
    public var signature: [UInt8]
    /// Whether the bytes carried CBOR tag 18. `encoded` keeps the form it was given, so that a
    /// structure at the decoder's depth or item limit still parses after a round trip.
    public var isTagged: Bool

    static let tag: UInt64 = 18

    /// Parses COSE_Sign1 bytes (tagged or not) and checks their shape.
    public init(bytes: [UInt8]) throws {
        let item: CBOR
        do { item = try CBORDecoder.decode(bytes, limits: CBORLimits(maxDepth: 16, maxItems: 100_000)) } catch {
            throw C2PAError(.cose, "the signature is not valid CBOR (\(error.message))")
        }
        var body = item
        isTagged = false
        if case .tagged(let tag, let inner) = item {
            guard tag == Self.tag else { throw C2PAError(.cose, "the signature has CBOR tag \(tag), not 18 (COSE_Sign1)") }
            body = inner
            isTagged = true
        }
        guard case .array(let parts) = body, parts.count == 4 else {
            throw C2PAError(.cose, "the signature is not a 4-element COSE_Sign1 array")
        }
        guard case .bytes(let protectedBytes) = parts[0] else { throw C2PAError(.cose, "COSE protected header is not a byte string") }
        self.protectedBytes = protectedBytes
        if protectedBytes.isEmpty {
            protectedHeader = .map([])
        } else {
            do { protectedHeader = try CBORDecoder.decode(protectedBytes, limits: CBORLimits(maxDepth: 8, maxItems: 10_000)) } catch {
                throw C2PAError(.cose, "COSE protected header is not valid CBOR")
            }
        }
        guard case .map = protectedHeader else { throw C2PAError(.cose, "COSE protected header is not a map") }
        guard case .map = parts[1] else { throw C2PAError(.cose, "COSE unprotected header is not a map") }
        unprotectedHeader = parts[1]
        switch parts[2] {
        case .null: payload = nil
        case .bytes(let b): payload = b
        default: throw C2PAError(.cose, "COSE payload is neither nil nor a byte string")
        }
        guard case .bytes(let signature) = parts[3] else { throw C2PAError(.cose, "COSE signature is not a byte string") }
        self.signature = signature
    }

    init(protectedHeader: CBOR, unprotectedHeader: CBOR, signature: [UInt8]) {
        self.protectedHeader = protectedHeader
        self.protectedBytes = protectedHeader.encoded()
        self.unprotectedHeader = unprotectedHeader
        self.payload = nil
        self.signature = signature
        self.isTagged = true
    }

    /// The COSE_Sign1 bytes: tagged when signed here or parsed from tagged bytes.
    public var encoded: [UInt8] {
        let body = CBOR.array([.bytes(protectedBytes), unprotectedHeader, payload.map { .bytes($0) } ?? .null, .bytes(signature)])
        return (isTagged ? CBOR.tagged(Self.tag, body) : body).encoded(sortKeys: false)
    }

    /// The bytes the signature covers: `["Signature1", protected, h'', payload]`.
    static func toBeSigned(protectedBytes: [UInt8], payload: [UInt8]) -> [UInt8] {
        CBOR.array([.text("Signature1"), .bytes(protectedBytes), .bytes([]), .bytes(payload)]).encoded()
    }

    /// The COSE algorithm identifier (header 1), from the protected header.
    public var algorithmIdentifier: Int? { protectedHeader[1]?.intValue }

    /// The signature scheme for the algorithm identifier, if supported.
    public var scheme: SignatureScheme? {
        switch algorithmIdentifier {
        case -7: return .es256
        case -35: return .es384
        case -36: return .es512
        case -37: return .ps256
        case -38: return .ps384
        case -39: return .ps512
        case -8: return .ed25519
        default: return nil
        }
    }

    /// The x5chain certificates (DER, leaf first): label 33 or "x5chain", protected first.
    public var certificateChain: [[UInt8]]? {
        for header in [protectedHeader, unprotectedHeader] {
            for value in [header[33], header["x5chain"]] {
                switch value {
                case .bytes(let der)?: return [der]
                case .array(let items)?:
                    let ders = items.compactMap(\.bytesValue)
                    return ders.count == items.count ? ders : nil
                default: continue
                }
            }
        }
        return nil
    }

    /// RFC 3161 time-stamp tokens from `sigTst2` or `sigTst` (`{tstTokens: [{val: bstr}]}`).
    public var timeStampTokens: [(version: Int, token: [UInt8])] {
        var result: [(Int, [UInt8])] = []
        for (label, version) in [("sigTst2", 2), ("sigTst", 1)] {
            for header in [unprotectedHeader, protectedHeader] {
                guard let tokens = header[label]?["tstTokens"]?.arrayValue else { continue }
                for token in tokens { if let val = token["val"]?.bytesValue { result.append((version, val)) } }
            }
        }
        return result
    }

    /// Signs `claim` with `identity`: protected header `{1: alg, 33: [leaf, intermediates...]}`.
    static func sign(claim: [UInt8], identity: SigningIdentity) throws -> COSESign1 {
        let chain = identity.chain.map { CBOR.bytes($0.der) }
        let protected = CBOR.map([CBORMapEntry(key: .int(1), value: .int(identity.algorithm.coseIdentifier)),
                                  CBORMapEntry(key: .int(33), value: chain.count == 1 ? chain[0] : .array(chain))])
        var sign1 = COSESign1(protectedHeader: protected, unprotectedHeader: .map([]), signature: [])
        sign1.signature = try identity.sign(toBeSigned(protectedBytes: sign1.protectedBytes, payload: claim))
        return sign1
    }
}
