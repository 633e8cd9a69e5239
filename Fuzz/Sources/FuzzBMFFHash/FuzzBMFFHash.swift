import FuzzSupport
@testable import HallmarkC2PA

/// The BMFF hard-binding verifier (flat hash and Merkle trees) and the data hash, on an
/// assertion and an asset both from the input: u16 length, assertion CBOR, a byte choosing the
/// label version, then the asset's bytes (written to a scratch file, as the verifier reads files).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = input(data, size)
    guard bytes.count >= 3 else { return 0 }
    let n = Int(bytes[0]) << 8 | Int(bytes[1])
    guard bytes.count >= 3 + n, let cbor = try? CBORDecoder.decode(Array(bytes[2..<(2 + n)])) else { return 0 }
    let label = ["c2pa.hash.bmff", "c2pa.hash.bmff.v2", "c2pa.hash.bmff.v3"][Int(bytes[2 + n] % 3)]
    let url = Scratch.write(Array(bytes[(3 + n)...]))
    guard let asset = try? Asset(url: url, fragments: []) else { return 0 }
    if let assertion = try? BMFFHashAssertion(cbor: cbor, label: label) {
        _ = try? BMFFVerifier.verify(assertion, asset: asset)
    }
    _ = try? DataHashVerifier.verify(cbor, source: asset.source)
    return 0
}
