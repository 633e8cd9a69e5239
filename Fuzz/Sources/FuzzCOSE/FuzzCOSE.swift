import FuzzSupport
import HallmarkC2PA

/// COSE_Sign1 parsing and its header accessors; what parses re-encodes to something that parses.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard let sign1 = try? COSESign1(bytes: input(data, size)) else { return 0 }
    _ = sign1.scheme; _ = sign1.algorithmIdentifier
    _ = sign1.certificateChain
    _ = sign1.timeStampTokens
    guard (try? COSESign1(bytes: sign1.encoded)) != nil else { fatalError("a re-encoded COSE_Sign1 does not parse") }
    return 0
}
