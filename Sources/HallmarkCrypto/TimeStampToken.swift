internal import COpenSSL
import Foundation

/// An RFC 3161 time-stamp token (CMS SignedData holding a TSTInfo), read offline.
public struct TimeStampToken: Sendable {
    /// The time the authority vouches for.
    public let genTime: Date
    /// Dotted OID of the message imprint's hash algorithm.
    public let imprintAlgorithmOID: String
    public let imprint: [UInt8]
    /// The CMS signature verifies with the signer certificate inside the token. This alone says
    /// nothing about who signed: anyone can make a token for any time. `authorityVerdict`
    /// checks the signer against trusted time-stamping authorities.
    public let signatureVerifies: Bool
    /// The certificate that signed the token (when the signature verifies).
    public let signer: Certificate?
    /// Every certificate the token carries (the signer's chain, as far as it goes).
    public let certificates: [Certificate]

    /// The extended key usage a time-stamping authority's certificate must have.
    public static let timeStampingEKU = "1.3.6.1.5.5.7.3.8"

    /// Reads a TimeStampToken, or a TimeStampResp holding one (c2pa-rs accepts both).
    public init(der input: [UInt8]) throws {
        guard !input.isEmpty, input.count < Int(Int32.max) else { throw CryptoError("empty time-stamp token") }
        var der = input
        // A TimeStampResp is SEQUENCE { PKIStatusInfo SEQUENCE, token }; a token starts with an OID.
        let response = input.withUnsafeBufferPointer { buffer -> OpaquePointer? in
            var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
            return d2i_TS_RESP(nil, &cursor, buffer.count)
        }
        if let response {
            defer { TS_RESP_free(response) }
            if let token = TS_RESP_get_token(response) {
                let length = i2d_PKCS7(token, nil)
                if length > 0 {
                    var bytes = [UInt8](repeating: 0, count: Int(length))
                    _ = bytes.withUnsafeMutableBufferPointer { buffer -> Int32 in
                        var cursor: UnsafeMutablePointer<UInt8>? = buffer.baseAddress
                        return i2d_PKCS7(token, &cursor)
                    }
                    der = bytes
                }
            }
        }
        ERR_clear_error()
        let p7 = der.withUnsafeBufferPointer { buffer -> UnsafeMutablePointer<PKCS7>? in
            var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
            return d2i_PKCS7(nil, &cursor, buffer.count)
        }
        guard let p7 else { throw CryptoError.openSSL("the time-stamp token is not CMS SignedData") }
        defer { PKCS7_free(p7) }
        guard let info = PKCS7_to_TS_TST_INFO(p7) else { throw CryptoError.openSSL("the time-stamp token holds no TSTInfo") }
        defer { TS_TST_INFO_free(info) }
        guard let time = TS_TST_INFO_get_time(info), let date = Certificate.date(time) else {
            throw CryptoError("the time-stamp token has no readable time")
        }
        genTime = date
        guard let imprint = TS_TST_INFO_get_msg_imprint(info),
              let algorithm = TS_MSG_IMPRINT_get_algo(imprint),
              let message = TS_MSG_IMPRINT_get_msg(imprint) else {
            throw CryptoError("the time-stamp token has no message imprint")
        }
        var object: OpaquePointer?
        X509_ALGOR_get0(&object, nil, nil, algorithm)
        var buffer = [CChar](repeating: 0, count: 128)
        let length = object.map { OBJ_obj2txt(&buffer, Int32(buffer.count), $0, 1) } ?? 0
        imprintAlgorithmOID = length > 0 ? String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self) : ""
        let count = Int(ASN1_STRING_length(message))
        self.imprint = count > 0 ? Array(UnsafeBufferPointer(start: ASN1_STRING_get0_data(message), count: count)) : []

        // Signature check with the embedded signer certificate.
        let cms = der.withUnsafeBufferPointer { buffer -> OpaquePointer? in
            var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
            return d2i_CMS_ContentInfo(nil, &cursor, buffer.count)
        }
        var signer: Certificate? = nil
        var carried: [Certificate] = []
        if let cms {
            defer { CMS_ContentInfo_free(cms) }
            // The signer's chain is checked separately (`authorityVerdict`), against TSA anchors.
            let verified = CMS_verify(cms, nil, nil, nil, nil, UInt32(CMS_NO_SIGNER_CERT_VERIFY)) == 1
            signatureVerifies = verified
            if verified, let signers = CMS_get0_signers(cms) {
                if shim_sk_X509_num(signers) == 1, let x = shim_sk_X509_value(signers, 0), X509_up_ref(x) == 1 {
                    signer = Certificate(owning: x)
                }
                shim_sk_X509_free(signers)
            }
            if let stack = CMS_get1_certs(cms) {
                for i in 0..<shim_sk_X509_num(stack) {
                    if let x = shim_sk_X509_value(stack, i), X509_up_ref(x) == 1 { carried.append(Certificate(owning: x)) }
                }
                shim_sk_X509_pop_free(stack)
            }
        } else {
            signatureVerifies = false
        }
        self.signer = signer
        certificates = carried
        ERR_clear_error()
    }

    /// Whether the token was signed by a time-stamping authority that chains to one of
    /// `anchors`, valid at the time it vouches for and with the time-stamping key usage. Only
    /// then may its time stand in for the time of signing.
    public func authorityVerdict(anchors: [Certificate]) -> ChainVerdict {
        guard signatureVerifies, let signer else { return .untrusted("the time-stamp signature does not verify") }
        guard (signer.extendedKeyUsageOIDs ?? []).contains(Self.timeStampingEKU) else {
            return .untrusted("the time-stamp signer is not a time-stamping authority (no timeStamping key usage)")
        }
        return Certificate.verifyChain(leaf: signer, intermediates: certificates, anchors: anchors, at: genTime)
    }

    /// The imprint is the hash of `data` under the token's algorithm.
    public func imprintMatches(_ data: [UInt8]) -> Bool {
        let algorithm: HashAlgorithm?
        switch imprintAlgorithmOID {
        case "2.16.840.1.101.3.4.2.1": algorithm = .sha256
        case "2.16.840.1.101.3.4.2.2": algorithm = .sha384
        case "2.16.840.1.101.3.4.2.3": algorithm = .sha512
        default: algorithm = nil
        }
        guard let algorithm else { return false }
        return algorithm.hash(data) == imprint
    }
}
