import FuzzSupport
import HallmarkC2PA

/// CBOR decoding: no trap on any input, and whatever decodes re-encodes to something that decodes.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = input(data, size)
    if let item = try? CBORDecoder.decode(bytes) {
        guard (try? CBORDecoder.decode(item.encoded(sortKeys: false))) != nil else { fatalError("re-encoded CBOR does not decode") }
        _ = item.encoded(sortKeys: true)
        _ = item["alg"]?.textValue; _ = item[1]?.intValue
    }
    _ = try? CBORDecoder.decodePrefix(bytes, limits: CBORLimits(maxDepth: 8, maxItems: 1000))
    return 0
}
