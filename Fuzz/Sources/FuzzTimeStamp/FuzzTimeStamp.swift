import FuzzSupport
import HallmarkCrypto

/// RFC 3161 time-stamp tokens (and responses): parsing, the signature, the authority check.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = input(data, size)
    guard let token = try? TimeStampToken(der: bytes) else { return 0 }
    _ = token.imprintMatches(bytes)
    _ = token.authorityVerdict(anchors: [])
    _ = token.authorityVerdict(anchors: token.certificates)
    return 0
}
