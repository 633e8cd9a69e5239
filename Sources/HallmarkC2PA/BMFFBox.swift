/// One ISO BMFF box (MP4, MOV, fragments) found by `BMFFParser`.
public struct BMFFBox: Sendable {
    /// Four-character type, e.g. `moov`.
    public var type: String
    /// Absolute offset of the box start (its size field).
    public var offset: UInt64
    /// Whole size including the header.
    public var size: UInt64
    /// 8, 16 with a 64-bit size; plus 16 for `uuid` boxes.
    public var headerSize: Int
    /// The extended type of a `uuid` box.
    public var userType: [UInt8]?
    /// The first four payload bytes (version and flags of a full box), when present.
    public var versionFlags: UInt32?
    public var children: [BMFFBox] = []

    public var end: UInt64 { offset + size }
    public var payloadOffset: UInt64 { offset + UInt64(headerSize) }
    public var version: UInt8? { versionFlags.map { UInt8($0 >> 24) } }
    public var flags: UInt32? { versionFlags.map { $0 & 0x00ff_ffff } }
}

/// Walks box headers without reading payloads. Untrusted input is bounded: sizes are checked
/// against the bytes available, nesting is capped, and so is the number of boxes.
public enum BMFFParser {
    public static let maxDepth = 32
    public static let maxBoxes = 1_000_000
    /// Largest container whose children are parsed (read into memory once).
    public static let maxContainerSize: UInt64 = 256 << 20

    /// The C2PA box UUID D8FEC3D6-1B0E-483C-9297-5828877EC481.
    public static let c2paUUID: [UInt8] = [0xD8, 0xFE, 0xC3, 0xD6, 0x1B, 0x0E, 0x48, 0x3C,
                                          0x92, 0x97, 0x58, 0x28, 0x87, 0x7E, 0xC4, 0x81]

    /// Boxes whose payload is a sequence of boxes.
    static let containers: Set<String> = ["moov", "trak", "mdia", "minf", "stbl", "dinf", "edts", "udta",
                                          "mvex", "moof", "traf", "mfra", "sinf", "schi", "tref", "meco", "strk", "strd"]
    /// Full boxes whose children start after version and flags.
    static let fullContainers: Set<String> = ["meta"]

    /// Top-level boxes of the source, with the children of container boxes.
    public static func parse(_ source: ByteSource, descend: Bool = true) throws -> [BMFFBox] {
        var count = 0
        var boxes: [BMFFBox] = []
        var offset: UInt64 = 0
        let length = source.length
        while offset < length {
            guard length - offset >= 8 else {
                throw C2PAError(.bmff, "\(length - offset) stray bytes at the end of the file")
            }
            let head = try source.read(at: offset, count: Int(min(32, length - offset)))
            var box = try header(head, at: offset, available: length - offset, context: "file")
            count += 1
            guard count <= maxBoxes else { throw C2PAError(.limit, "more than \(maxBoxes) boxes") }
            if descend, containers.contains(box.type) || fullContainers.contains(box.type) {
                guard box.size <= maxContainerSize else {
                    throw C2PAError(.limit, "\(box.type) box of \(box.size) bytes is too large to parse")
                }
                let body = try source.read(at: box.offset, count: Int(box.size))
                box.children = try children(of: box, in: body, base: box.offset, depth: 1, count: &count)
            }
            boxes.append(box)
            offset = box.end
        }
        return boxes
    }

    /// Parses the header at the start of `head` (at most 32 bytes of the box).
    static func header(_ head: [UInt8], at offset: UInt64, available: UInt64, context: String) throws -> BMFFBox {
        guard head.count >= 8 else { throw C2PAError(.bmff, "truncated box header at \(offset)") }
        var size = UInt64(JUMBF.readU32(head, 0))
        let type = JUMBF.fourCC(head[4..<8])
        var headerSize = 8
        if size == 1 {
            guard head.count >= 16 else { throw C2PAError(.bmff, "truncated 64-bit box header at \(offset)") }
            size = UInt64(JUMBF.readU32(head, 8)) << 32 | UInt64(JUMBF.readU32(head, 12))
            headerSize = 16
        } else if size == 0 {
            size = available
        }
        var userType: [UInt8]?
        if type == "uuid" {
            guard head.count >= headerSize + 16 else { throw C2PAError(.bmff, "truncated uuid box at \(offset)") }
            userType = Array(head[headerSize..<(headerSize + 16)])
            headerSize += 16
        }
        guard size >= UInt64(headerSize) else {
            throw C2PAError(.bmff, "box '\(type)' at \(offset) has an impossible size \(size)")
        }
        guard size <= available else {
            throw C2PAError(.bmff, "box '\(type)' at \(offset) claims \(size) bytes but only \(available) remain in the \(context)")
        }
        var versionFlags: UInt32?
        if size >= UInt64(headerSize + 4), head.count >= headerSize + 4 { versionFlags = JUMBF.readU32(head, headerSize) }
        return BMFFBox(type: type, offset: offset, size: size, headerSize: headerSize, userType: userType, versionFlags: versionFlags)
    }

    /// Children of `parent`, whose bytes are `body` (starting at absolute offset `base`).
    static func children(of parent: BMFFBox, in body: [UInt8], base: UInt64, depth: Int, count: inout Int) throws -> [BMFFBox] {
        guard depth < maxDepth else {
            throw C2PAError(.limit, "boxes nested deeper than \(maxDepth) levels at \(parent.offset)")
        }
        var start = Int(parent.payloadOffset - base)
        if fullContainers.contains(parent.type) {
            // ISO 'meta' is a full box (version and flags first); QuickTime's 'meta' is not.
            let quickTime = start + 8 <= body.count && JUMBF.fourCC(body[(start + 4)..<(start + 8)]) == "hdlr"
            if !quickTime { start += 4 }
        }
        let end = Int(parent.end - base)
        var result: [BMFFBox] = []
        var cursor = start
        while cursor < end {
            guard end - cursor >= 8 else { break } // trailing padding inside a container
            let head = Array(body[cursor..<min(end, cursor + 32)])
            var box = try header(head, at: base + UInt64(cursor), available: UInt64(end - cursor), context: "'\(parent.type)' box")
            count += 1
            guard count <= maxBoxes else { throw C2PAError(.limit, "more than \(maxBoxes) boxes") }
            if containers.contains(box.type) || fullContainers.contains(box.type) {
                box.children = try children(of: box, in: body, base: base, depth: depth + 1, count: &count)
            }
            result.append(box)
            cursor = Int(box.end - base)
        }
        return result
    }

    /// All boxes matching a C2PA xpath such as `/uuid`, `/moov/trak/mdia`, `/moov/trak[1]/tkhd`
    /// (indices count from 1 among same-type siblings, as in c2pa-rs).
    public static func select(_ xpath: String, in boxes: [BMFFBox]) -> [BMFFBox] {
        let parts = xpath.split(separator: "/").map(String.init)
        guard !parts.isEmpty else { return [] }
        var current = boxes
        var selected: [BMFFBox] = []
        for (i, part) in parts.enumerated() {
            var name = part
            var index: Int?
            if let open = part.firstIndex(of: "["), part.hasSuffix("]") {
                name = String(part[..<open])
                index = Int(part[part.index(after: open)..<part.index(before: part.endIndex)])
                if index == nil { return [] }
            }
            var matches = current.filter { $0.type == name }
            if let index { matches = index >= 1 && index <= matches.count ? [matches[index - 1]] : [] }
            if i == parts.count - 1 { selected = matches } else { current = matches.flatMap(\.children) }
        }
        return selected
    }
}
