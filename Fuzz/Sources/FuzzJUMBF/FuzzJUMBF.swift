import FuzzSupport
import HallmarkC2PA

/// The JUMBF box walker, and every accessor over what it returns.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = input(data, size)
    guard let root = try? JUMBF.parse(bytes) else { return 0 }
    func walk(_ box: JUMBFBox) {
        precondition(box.range.lowerBound >= 0 && box.range.upperBound <= bytes.count && box.contentRange.lowerBound <= box.range.upperBound)
        _ = bytes[box.contentRange].count
        _ = box.label; _ = box.description?.typeCode
        _ = box.content(ofType: "cbor"); _ = box.child(labeled: "c2pa.assertions")
        box.children.forEach(walk)
    }
    walk(root)
    return 0
}
