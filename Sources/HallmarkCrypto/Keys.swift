internal import COpenSSL

/// COSE signature algorithms the toolkit signs or verifies with.
public enum SignatureScheme: String, Sendable, CaseIterable {
    case es256, es384, es512, ps256, ps384, ps512, ed25519

    var digest: OpaquePointer? {
        switch self {
        case .es256, .ps256: return EVP_sha256()
        case .es384, .ps384: return EVP_sha384()
        case .es512, .ps512: return EVP_sha512()
        case .ed25519: return nil
        }
    }

    /// Bytes of each of r and s in a raw ECDSA signature.
    var ecComponentSize: Int? {
        switch self {
        case .es256: return 32
        case .es384: return 48
        case .es512: return 66
        default: return nil
        }
    }

    var isPSS: Bool { self == .ps256 || self == .ps384 || self == .ps512 }
}

/// The kind of key pair.
public enum KeyType: Sendable, Equatable {
    case ecP256, ecP384, ecP521, rsa(bits: Int), ed25519
}

/// An OpenSSL EVP_PKEY holding a public key or a key pair. Immutable once made, so it is
/// safe to share between threads.
final class EVPKey: @unchecked Sendable {
    let pointer: OpaquePointer
    init(owning pointer: OpaquePointer) { self.pointer = pointer }
    deinit { EVP_PKEY_free(pointer) }

    /// The DER SubjectPublicKeyInfo.
    var publicKeyDER: [UInt8] {
        let length = i2d_PUBKEY(pointer, nil)
        guard length > 0 else { return [] }
        var der = [UInt8](repeating: 0, count: Int(length))
        _ = der.withUnsafeMutableBufferPointer { buffer -> Int32 in
            var cursor: UnsafeMutablePointer<UInt8>? = buffer.baseAddress
            return i2d_PUBKEY(pointer, &cursor)
        }
        return der
    }

    var keyType: KeyType? {
        switch EVP_PKEY_get_base_id(pointer) {
        case NID_X9_62_id_ecPublicKey:
            var name = [CChar](repeating: 0, count: 64)
            var length = 0
            guard EVP_PKEY_get_utf8_string_param(pointer, "group", &name, name.count, &length) == 1 else { return nil }
            switch String(decoding: name.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self) {
            case "prime256v1", "P-256": return .ecP256
            case "secp384r1", "P-384": return .ecP384
            case "secp521r1", "P-521": return .ecP521
            default: return nil
            }
        case NID_rsaEncryption, NID_rsassaPss: return .rsa(bits: Int(EVP_PKEY_get_bits(pointer)))
        case NID_ED25519: return .ed25519
        default: return nil
        }
    }
}

/// A public key, for verifying signatures.
public struct PublicKey: Sendable {
    let key: EVPKey

    public var type: KeyType? { key.keyType }

    /// The DER SubjectPublicKeyInfo.
    public var der: [UInt8] { key.publicKeyDER }

    /// Checks a COSE-style signature (raw r||s for ECDSA) over `message`.
    public func verify(signature: [UInt8], message: [UInt8], scheme: SignatureScheme) -> Bool {
        var signatureBytes = signature
        if let size = scheme.ecComponentSize {
            guard signature.count == 2 * size, let der = Self.rawToDER(signature) else { return false }
            signatureBytes = der
        }
        guard let context = EVP_MD_CTX_new() else { return false }
        defer { EVP_MD_CTX_free(context) }
        var pkeyContext: OpaquePointer?
        guard EVP_DigestVerifyInit(context, &pkeyContext, scheme.digest, nil, key.pointer) == 1 else {
            ERR_clear_error(); return false
        }
        if scheme.isPSS {
            guard let pkeyContext,
                  EVP_PKEY_CTX_set_rsa_padding(pkeyContext, RSA_PKCS1_PSS_PADDING) == 1,
                  EVP_PKEY_CTX_set_rsa_pss_saltlen(pkeyContext, RSA_PSS_SALTLEN_DIGEST) == 1,
                  EVP_PKEY_CTX_set_rsa_mgf1_md(pkeyContext, scheme.digest) == 1 else { ERR_clear_error(); return false }
        }
        let result = EVP_DigestVerify(context, signatureBytes, signatureBytes.count, message, message.count)
        ERR_clear_error()
        return result == 1
    }

    static func rawToDER(_ raw: [UInt8]) -> [UInt8]? {
        let half = raw.count / 2
        guard let sig = ECDSA_SIG_new() else { return nil }
        defer { ECDSA_SIG_free(sig) }
        guard let r = BN_bin2bn(raw, Int32(half), nil) else { return nil }
        guard let s = raw.withUnsafeBufferPointer({ BN_bin2bn($0.baseAddress! + half, Int32(half), nil) }) else {
            BN_free(r); return nil
        }
        guard ECDSA_SIG_set0(sig, r, s) == 1 else { BN_free(r); BN_free(s); return nil }
        let length = i2d_ECDSA_SIG(sig, nil)
        guard length > 0 else { return nil }
        var der = [UInt8](repeating: 0, count: Int(length))
        let written = der.withUnsafeMutableBufferPointer { buffer -> Int32 in
            var cursor: UnsafeMutablePointer<UInt8>? = buffer.baseAddress
            return i2d_ECDSA_SIG(sig, &cursor)
        }
        return written == length ? der : nil
    }
}

/// A private key. Its PEM form is only ever written to files created with mode 0600.
public struct PrivateKey: Sendable {
    let key: EVPKey

    public var type: KeyType? { key.keyType }

    /// Reads a PEM private key (PKCS#8 `PRIVATE KEY`, or the traditional EC/RSA forms).
    public init(pem: String) throws {
        let bio = try MemoryBIO(Array(pem.utf8))
        guard let pointer = PEM_read_bio_PrivateKey(bio.bio, nil, nil, nil) else {
            throw CryptoError.openSSL("the private key PEM does not parse")
        }
        key = EVPKey(owning: pointer)
    }

    init(key: EVPKey) { self.key = key }

    /// A fresh key pair.
    public static func generate(_ type: KeyType) throws -> PrivateKey {
        let id: Int32
        switch type {
        case .ecP256, .ecP384, .ecP521: id = NID_X9_62_id_ecPublicKey
        case .rsa: id = NID_rsaEncryption
        case .ed25519: id = NID_ED25519
        }
        guard let context = EVP_PKEY_CTX_new_id(id, nil) else { throw CryptoError.openSSL("cannot create a key context") }
        defer { EVP_PKEY_CTX_free(context) }
        guard EVP_PKEY_keygen_init(context) == 1 else { throw CryptoError.openSSL("cannot start key generation") }
        switch type {
        case .ecP256: guard EVP_PKEY_CTX_set_ec_paramgen_curve_nid(context, NID_X9_62_prime256v1) == 1 else { throw CryptoError.openSSL("curve") }
        case .ecP384: guard EVP_PKEY_CTX_set_ec_paramgen_curve_nid(context, NID_secp384r1) == 1 else { throw CryptoError.openSSL("curve") }
        case .ecP521: guard EVP_PKEY_CTX_set_ec_paramgen_curve_nid(context, NID_secp521r1) == 1 else { throw CryptoError.openSSL("curve") }
        case .rsa(let bits): guard EVP_PKEY_CTX_set_rsa_keygen_bits(context, Int32(bits)) == 1 else { throw CryptoError.openSSL("rsa bits") }
        case .ed25519: break
        }
        var pointer: OpaquePointer?
        guard EVP_PKEY_keygen(context, &pointer) == 1, let pointer else { throw CryptoError.openSSL("key generation failed") }
        return PrivateKey(key: EVPKey(owning: pointer))
    }

    /// The PKCS#8 PEM encoding (unencrypted). Handle with care: never log it.
    public func pkcs8PEM() throws -> String {
        let bio = try MemoryBIO()
        guard PEM_write_bio_PKCS8PrivateKey(bio.bio, key.pointer, nil, nil, 0, nil, nil) == 1 else {
            throw CryptoError.openSSL("cannot encode the private key")
        }
        return String(decoding: bio.contents, as: UTF8.self)
    }

    public var publicKey: PublicKey { PublicKey(key: key) }


    /// Signs `message`; ECDSA signatures come back as raw r||s, as COSE wants them.
    public func sign(_ message: [UInt8], scheme: SignatureScheme) throws -> [UInt8] {
        guard let context = EVP_MD_CTX_new() else { throw CryptoError.openSSL("cannot allocate a digest context") }
        defer { EVP_MD_CTX_free(context) }
        var pkeyContext: OpaquePointer?
        guard EVP_DigestSignInit(context, &pkeyContext, scheme.digest, nil, key.pointer) == 1 else {
            throw CryptoError.openSSL("the key cannot sign with \(scheme.rawValue)")
        }
        if scheme.isPSS {
            guard let pkeyContext,
                  EVP_PKEY_CTX_set_rsa_padding(pkeyContext, RSA_PKCS1_PSS_PADDING) == 1,
                  EVP_PKEY_CTX_set_rsa_pss_saltlen(pkeyContext, RSA_PSS_SALTLEN_DIGEST) == 1,
                  EVP_PKEY_CTX_set_rsa_mgf1_md(pkeyContext, scheme.digest) == 1 else {
                throw CryptoError.openSSL("cannot set RSA-PSS parameters")
            }
        }
        var length = 0
        guard EVP_DigestSign(context, nil, &length, message, message.count) == 1 else {
            throw CryptoError.openSSL("signing failed")
        }
        var signature = [UInt8](repeating: 0, count: length)
        guard EVP_DigestSign(context, &signature, &length, message, message.count) == 1 else {
            throw CryptoError.openSSL("signing failed")
        }
        signature.removeSubrange(length...)
        if let size = scheme.ecComponentSize { return try Self.derToRaw(signature, componentSize: size) }
        return signature
    }

    static func derToRaw(_ der: [UInt8], componentSize: Int) throws -> [UInt8] {
        let sig = der.withUnsafeBufferPointer { buffer -> OpaquePointer? in
            var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
            return d2i_ECDSA_SIG(nil, &cursor, der.count)
        }
        guard let sig else { throw CryptoError.openSSL("OpenSSL returned a malformed ECDSA signature") }
        defer { ECDSA_SIG_free(sig) }
        var r: OpaquePointer?
        var s: OpaquePointer?
        ECDSA_SIG_get0(sig, &r, &s)
        var raw = [UInt8](repeating: 0, count: 2 * componentSize)
        let ok = raw.withUnsafeMutableBufferPointer { buffer -> Bool in
            BN_bn2binpad(r, buffer.baseAddress, Int32(componentSize)) == Int32(componentSize)
                && BN_bn2binpad(s, buffer.baseAddress! + componentSize, Int32(componentSize)) == Int32(componentSize)
        }
        guard ok else { throw CryptoError("cannot convert the ECDSA signature") }
        return raw
    }
}
