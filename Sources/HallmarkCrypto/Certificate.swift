internal import COpenSSL
import Foundation

/// An X.509 certificate (OpenSSL `X509`). Immutable once made, so it is safe to share.
public final class Certificate: @unchecked Sendable {
    let pointer: OpaquePointer

    init(owning pointer: OpaquePointer) { self.pointer = pointer }
    deinit { X509_free(pointer) }

    /// Parses one DER certificate; trailing bytes are an error.
    public convenience init(der: [UInt8]) throws {
        guard !der.isEmpty, der.count < Int(Int32.max) else { throw CryptoError("empty certificate") }
        var consumed = 0
        let parsed = der.withUnsafeBufferPointer { buffer -> OpaquePointer? in
            var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
            let x = d2i_X509(nil, &cursor, buffer.count)
            if let cursor, let base = buffer.baseAddress { consumed = cursor - base }
            return x
        }
        guard let parsed else { throw CryptoError.openSSL("certificate does not parse") }
        guard consumed == der.count else {
            X509_free(parsed)
            throw CryptoError("certificate has \(der.count - consumed) trailing bytes")
        }
        self.init(owning: parsed)
    }

    /// Every certificate in a PEM bundle, in order.
    public static func parsePEM(_ pem: String) throws -> [Certificate] {
        let bio = try MemoryBIO(Array(pem.utf8))
        var certificates: [Certificate] = []
        while let x = PEM_read_bio_X509(bio.bio, nil, nil, nil) {
            certificates.append(Certificate(owning: x))
        }
        ERR_clear_error() // the read that ends the loop leaves "no start line"
        return certificates
    }

    public var der: [UInt8] {
        let length = i2d_X509(pointer, nil)
        guard length > 0 else { return [] }
        var der = [UInt8](repeating: 0, count: Int(length))
        _ = der.withUnsafeMutableBufferPointer { buffer -> Int32 in
            var cursor: UnsafeMutablePointer<UInt8>? = buffer.baseAddress
            return i2d_X509(pointer, &cursor)
        }
        return der
    }

    public var pem: String {
        guard let bio = try? MemoryBIO(), PEM_write_bio_X509(bio.bio, pointer) == 1 else { return "" }
        return String(decoding: bio.contents, as: UTF8.self)
    }

    // MARK: Names

    private static func entry(_ name: OpaquePointer?, nid: Int32) -> String? {
        guard let name else { return nil }
        let index = X509_NAME_get_index_by_NID(name, nid, -1)
        guard index >= 0, let entry = X509_NAME_get_entry(name, index),
              let data = X509_NAME_ENTRY_get_data(entry) else { return nil }
        var out: UnsafeMutablePointer<UInt8>?
        let length = ASN1_STRING_to_UTF8(&out, data)
        guard length >= 0, let out else { return nil }
        defer { shim_OPENSSL_free(out) }
        return String(decoding: UnsafeBufferPointer(start: out, count: Int(length)), as: UTF8.self)
    }

    public var subjectCommonName: String? { Self.entry(X509_get_subject_name(pointer), nid: NID_commonName) }
    public var subjectOrganization: String? { Self.entry(X509_get_subject_name(pointer), nid: NID_organizationName) }
    public var issuerCommonName: String? { Self.entry(X509_get_issuer_name(pointer), nid: NID_commonName) }
    public var issuerOrganization: String? { Self.entry(X509_get_issuer_name(pointer), nid: NID_organizationName) }

    /// Subject and issuer names are the same.
    public var isSelfIssued: Bool {
        X509_NAME_cmp(X509_get_subject_name(pointer), X509_get_issuer_name(pointer)) == 0
    }

    // MARK: Profile

    /// 1, 2 or 3.
    public var version: Int { Int(X509_get_version(pointer)) + 1 }

    private var extensionFlags: UInt32 { X509_get_extension_flags(pointer) }

    /// Basic constraints say CA:TRUE.
    public var isCA: Bool { extensionFlags & UInt32(EXFLAG_CA) != 0 }
    public var hasKeyUsage: Bool { extensionFlags & UInt32(EXFLAG_KUSAGE) != 0 }
    public var keyUsageDigitalSignature: Bool { hasKeyUsage && X509_get_key_usage(pointer) & UInt32(KU_DIGITAL_SIGNATURE) != 0 }
    public var keyUsageKeyCertSign: Bool { hasKeyUsage && X509_get_key_usage(pointer) & UInt32(KU_KEY_CERT_SIGN) != 0 }
    public var keyUsageNonRepudiation: Bool { hasKeyUsage && X509_get_key_usage(pointer) & UInt32(KU_NON_REPUDIATION) != 0 }
    public var hasAuthorityKeyIdentifier: Bool { X509_get0_authority_key_id(pointer) != nil }
    public var hasSubjectKeyIdentifier: Bool { X509_get0_subject_key_id(pointer) != nil }
    /// OpenSSL found an extension it could not decode.
    public var hasInvalidExtensions: Bool { extensionFlags & UInt32(EXFLAG_INVALID) != 0 }
    public var hasUniqueIdentifiers: Bool {
        var issuerUID: UnsafePointer<ASN1_BIT_STRING>?
        var subjectUID: UnsafePointer<ASN1_BIT_STRING>?
        X509_get0_uids(pointer, &issuerUID, &subjectUID)
        return issuerUID != nil || subjectUID != nil
    }

    /// Dotted OIDs of the extended key usage extension; nil when it is absent.
    public var extendedKeyUsageOIDs: [String]? {
        var critical: Int32 = 0
        guard let raw = X509_get_ext_d2i(pointer, NID_ext_key_usage, &critical, nil) else { return nil }
        let stack = OpaquePointer(raw)
        defer { shim_EXTENDED_KEY_USAGE_free(stack) }
        var oids: [String] = []
        for i in 0..<shim_sk_ASN1_OBJECT_num(stack) {
            guard let object = shim_sk_ASN1_OBJECT_value(stack, i) else { continue }
            var buffer = [CChar](repeating: 0, count: 128)
            let length = OBJ_obj2txt(&buffer, Int32(buffer.count), object, 1)
            if length > 0 { oids.append(String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)) }
        }
        return oids
    }

    /// Dotted OID of the certificate's signature algorithm.
    public var signatureAlgorithmOID: String {
        var algorithm: UnsafePointer<X509_ALGOR>?
        X509_get0_signature(nil, &algorithm, pointer)
        var object: OpaquePointer?
        X509_ALGOR_get0(&object, nil, nil, algorithm)
        guard let object else { return "" }
        var buffer = [CChar](repeating: 0, count: 128)
        let length = OBJ_obj2txt(&buffer, Int32(buffer.count), object, 1)
        return length > 0 ? String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self) : ""
    }

    public var notBefore: Date? { Self.date(X509_get0_notBefore(pointer)) }
    public var notAfter: Date? { Self.date(X509_get0_notAfter(pointer)) }

    static func date(_ time: UnsafePointer<ASN1_TIME>?) -> Date? {
        guard let time else { return nil }
        var parts = tm()
        guard ASN1_TIME_to_tm(time, &parts) == 1 else { return nil }
        return Date(timeIntervalSince1970: TimeInterval(timegm(&parts)))
    }

    public var publicKey: PublicKey? {
        guard let key = X509_get_pubkey(pointer) else { ERR_clear_error(); return nil }
        return PublicKey(key: EVPKey(owning: key))
    }

    /// SHA-256 of the DER encoding, lowercase hex.
    public var fingerprint: String { SHA256Hasher.hash(Data(der)).hexString }
}

/// How a certificate chain relates to a set of trust anchors.
public enum ChainVerdict: Sendable, Equatable {
    /// It chains to an anchor and every certificate is valid at the time asked.
    case trusted
    /// It does not chain to any anchor (the reason is OpenSSL's).
    case untrusted(String)
}

extension Certificate {
    /// Builds and checks the path from `leaf` through `intermediates` to one of `anchors`
    /// at `time`. Anchors may be roots or intermediates. No revocation checks, no network.
    public static func verifyChain(leaf: Certificate, intermediates: [Certificate], anchors: [Certificate], at time: Date) -> ChainVerdict {
        guard !anchors.isEmpty else { return .untrusted("no trust anchors") }
        guard let store = X509_STORE_new() else { return .untrusted("cannot allocate a store") }
        defer { X509_STORE_free(store) }
        for anchor in anchors { X509_STORE_add_cert(store, anchor.pointer) }
        ERR_clear_error() // duplicate anchors are harmless
        guard let untrusted = shim_sk_X509_new_null() else { return .untrusted("cannot allocate a stack") }
        defer { shim_sk_X509_free(untrusted) }
        for certificate in intermediates { _ = shim_sk_X509_push(untrusted, certificate.pointer) }
        guard let context = X509_STORE_CTX_new() else { return .untrusted("cannot allocate a context") }
        defer { X509_STORE_CTX_free(context) }
        guard X509_STORE_CTX_init(context, store, leaf.pointer, untrusted) == 1 else {
            ERR_clear_error(); return .untrusted("cannot start verification")
        }
        X509_STORE_CTX_set_flags(context, UInt(X509_V_FLAG_PARTIAL_CHAIN))
        X509_STORE_CTX_set_time(context, 0, Self.unixTime(time))
        let result = X509_verify_cert(context)
        defer { ERR_clear_error() }
        if result == 1 { return .trusted }
        let code = X509_STORE_CTX_get_error(context)
        let reason = X509_verify_cert_error_string(Int(code)).map { String(cString: $0) } ?? "error \(code)"
        return .untrusted(reason)
    }

    /// Seconds since 1970 as `time_t`, clamped: `time_t(seconds)` traps on a time past 2^63 s
    /// (or NaN), which a caller-supplied validation time can be.
    static func unixTime(_ date: Date) -> time_t {
        let seconds = date.timeIntervalSince1970.rounded(.down)
        if seconds.isNaN { return 0 }
        if seconds >= Double(time_t.max) { return time_t.max }
        if seconds <= Double(time_t.min) { return time_t.min }
        return time_t(seconds)
    }

    /// Whether `issuer`'s key signed this certificate.
    public func isSigned(by issuer: Certificate) -> Bool {
        guard let key = X509_get_pubkey(issuer.pointer) else { ERR_clear_error(); return false }
        defer { EVP_PKEY_free(key) }
        let ok = X509_verify(pointer, key) == 1
        ERR_clear_error()
        return ok
    }
}
