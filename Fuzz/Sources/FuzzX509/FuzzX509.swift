import Foundation
import FuzzSupport
import HallmarkCrypto

/// DER certificates: parsing, every property the validator reads, chain building against itself.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard let certificate = try? Certificate(der: input(data, size)) else { return 0 }
    _ = certificate.subjectCommonName; _ = certificate.subjectOrganization
    _ = certificate.issuerCommonName; _ = certificate.issuerOrganization
    _ = certificate.isSelfIssued; _ = certificate.version; _ = certificate.isCA
    _ = certificate.keyUsageDigitalSignature; _ = certificate.keyUsageNonRepudiation; _ = certificate.keyUsageKeyCertSign
    _ = certificate.hasAuthorityKeyIdentifier; _ = certificate.hasSubjectKeyIdentifier
    _ = certificate.hasInvalidExtensions; _ = certificate.hasUniqueIdentifiers
    _ = certificate.extendedKeyUsageOIDs; _ = certificate.signatureAlgorithmOID
    let notBefore = certificate.notBefore
    _ = certificate.notAfter
    _ = certificate.publicKey?.type
    _ = certificate.fingerprint; _ = certificate.pem
    _ = Certificate.verifyChain(leaf: certificate, intermediates: [], anchors: [certificate], at: notBefore ?? Date())
    _ = certificate.isSigned(by: certificate)
    return 0
}
