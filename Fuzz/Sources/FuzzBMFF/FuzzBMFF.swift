import FuzzSupport
@testable import HallmarkC2PA

/// The BMFF box walker, xpath selection, Merkle proof boxes and the hash plan over the boxes.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let source = MemoryByteSource(input(data, size))
    _ = try? BMFFParser.parse(source, descend: false)
    guard let boxes = try? BMFFParser.parse(source) else { return 0 }
    for xpath in ["/uuid", "/moov/trak/mdia/minf/stbl/stco", "/moov/trak[1]/tkhd", "/moov/meta/iloc", "/mdat"] {
        for box in BMFFParser.select(xpath, in: boxes) {
            precondition(box.end <= source.length && box.payloadOffset <= box.end)
            _ = box.version; _ = box.flags
        }
    }
    _ = try? BMFFMerkleProof.all(in: boxes, source: source)
    for version in 1...3 {
        if let plan = try? BMFFHashPlan(exclusions: BMFFExclusion.defaults, version: version, boxes: boxes, fileLength: source.length,
                                        read: { try source.read(at: $0, count: $1) }) {
            _ = try? plan.hash(source, algorithm: .sha256)
        }
    }
    return 0
}
