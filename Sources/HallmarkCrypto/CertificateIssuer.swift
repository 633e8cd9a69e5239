internal import COpenSSL

/// What a new certificate says about its subject.
public struct CertificateTemplate: Sendable {
    /// Name attributes in order, e.g. `[("CN", "Hallmark Root"), ("O", "Hallmark")]`.
    public var subject: [(String, String)]
    /// Extensions in OpenSSL configuration syntax, e.g. `("basicConstraints", "critical,CA:TRUE")`.
    /// `subjectKeyIdentifier` should come before `authorityKeyIdentifier`.
    public var extensions: [(String, String)]
    public var validityDays: Int
    /// Seconds from now to the start of validity (negative: in the past).
    public var notBeforeOffset: Int

    public init(subject: [(String, String)], extensions: [(String, String)], validityDays: Int, notBeforeOffset: Int = -300) {
        self.subject = subject
        self.extensions = extensions
        self.validityDays = validityDays
        self.notBeforeOffset = notBeforeOffset
    }
}

extension Certificate {
    /// Issues an X.509 v3 certificate for `subjectKey`, signed by `issuer` (its certificate and
    /// key), or self-signed when `issuer` is nil.
    public static func issue(_ template: CertificateTemplate, subjectKey: PrivateKey,
                             issuer: (certificate: Certificate, key: PrivateKey)?) throws -> Certificate {
        guard let x = X509_new() else { throw CryptoError.openSSL("cannot allocate a certificate") }
        let certificate = Certificate(owning: x)
        guard X509_set_version(x, 2) == 1 else { throw CryptoError.openSSL("version") }

        var serial = secureRandomBytes(16)
        serial[0] &= 0x7f
        guard let bn = BN_bin2bn(serial, Int32(serial.count), nil) else { throw CryptoError.openSSL("serial") }
        defer { BN_free(bn) }
        guard BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != nil else { throw CryptoError.openSSL("serial") }

        guard X509_gmtime_adj(X509_getm_notBefore(x), template.notBeforeOffset) != nil,
              X509_gmtime_adj(X509_getm_notAfter(x), template.notBeforeOffset + template.validityDays * 86_400) != nil else {
            throw CryptoError.openSSL("validity")
        }
        guard X509_set_pubkey(x, subjectKey.key.pointer) == 1 else { throw CryptoError.openSSL("public key") }

        guard let name = X509_NAME_new() else { throw CryptoError.openSSL("name") }
        defer { X509_NAME_free(name) }
        for (field, value) in template.subject {
            guard X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8, value, -1, -1, 0) == 1 else {
                throw CryptoError.openSSL("cannot set name field \(field)")
            }
        }
        guard X509_set_subject_name(x, name) == 1 else { throw CryptoError.openSSL("subject") }
        let issuerName = issuer.map { X509_get_subject_name($0.certificate.pointer) } ?? name
        guard X509_set_issuer_name(x, issuerName) == 1 else { throw CryptoError.openSSL("issuer") }

        var context = X509V3_CTX()
        X509V3_set_ctx(&context, issuer?.certificate.pointer ?? x, x, nil, nil, 0)
        for (extensionName, value) in template.extensions {
            guard let ext = X509V3_EXT_nconf(nil, &context, extensionName, value) else {
                throw CryptoError.openSSL("cannot make extension \(extensionName)=\(value)")
            }
            defer { X509_EXTENSION_free(ext) }
            guard X509_add_ext(x, ext, -1) == 1 else { throw CryptoError.openSSL("cannot add extension \(extensionName)") }
        }

        let signingKey = issuer?.key ?? subjectKey
        let digest: OpaquePointer? = signingKey.type == .ed25519 ? nil : EVP_sha256()
        guard X509_sign(x, signingKey.key.pointer, digest) > 0 else { throw CryptoError.openSSL("cannot sign the certificate") }
        return certificate
    }
}
