/// JUMBF (ISO/IEC 19566-5) boxes as C2PA uses them: superboxes (`jumb`) that start with a
/// description box (`jumd`), and content boxes (`cbor`, `json`, `c2sh`, ...).
public struct JUMBFBox: Sendable {
    /// The box type, e.g. `jumb`, `cbor`.
    public var type: String
    /// The whole box, header included, as indices into the parsed buffer.
    public var range: Range<Int>
    /// 8, or 16 with a 64-bit size.
    public var headerSize: Int
    /// Present for superboxes.
    public var description: JUMBFDescription?
    /// The boxes after the description, for superboxes.
    public var children: [JUMBFBox]

    public var isSuperbox: Bool { description != nil }
    public var label: String? { description?.label }
    /// The box without its header: what a hashed URI hashes for an assertion superbox.
    public var contentRange: Range<Int> { (range.lowerBound + headerSize)..<range.upperBound }

    /// The first child superbox with this label.
    public func child(labeled label: String) -> JUMBFBox? {
        children.first { $0.label == label }
    }

    /// The first content box of the given type.
    public func content(ofType type: String) -> JUMBFBox? {
        children.first { $0.description == nil && $0.type == type }
    }
}

public struct JUMBFDescription: Sendable {
    /// The 16-byte type UUID.
    public var typeUUID: [UInt8]
    /// Its first four bytes as text, e.g. `c2pa`, `c2ma`, `cbor`.
    public var typeCode: String
    public var toggles: UInt8
    public var label: String?
}

public enum JUMBF {
    /// The common tail of every C2PA JUMBF type UUID.
    static let uuidTail: [UInt8] = [0x00, 0x11, 0x00, 0x10, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71]

    public static let maxDepth = 16

    /// Parses one superbox filling `bytes` (a manifest store).
    public static func parse(_ bytes: [UInt8]) throws(C2PAError) -> JUMBFBox {
        guard let box = try parseBox(bytes, at: 0, end: bytes.count, depth: 0) else {
            throw C2PAError(.jumbf, "empty JUMBF data")
        }
        guard box.type == "jumb", box.description != nil else {
            throw C2PAError(.jumbf, "the manifest store is not a JUMBF superbox")
        }
        return box
    }

    static func readU32(_ b: [UInt8], _ i: Int) -> UInt32 {
        UInt32(b[i]) << 24 | UInt32(b[i + 1]) << 16 | UInt32(b[i + 2]) << 8 | UInt32(b[i + 3])
    }

    static func fourCC(_ b: ArraySlice<UInt8>) -> String {
        String(decoding: b.map { (0x20...0x7e).contains($0) ? $0 : UInt8(ascii: "?") }, as: UTF8.self)
    }

    /// Parses the box at `offset`; nil when fewer than 8 bytes remain (trailing padding).
    static func parseBox(_ b: [UInt8], at offset: Int, end: Int, depth: Int) throws(C2PAError) -> JUMBFBox? {
        guard end - offset >= 8 else { return nil }
        var size = UInt64(readU32(b, offset))
        var header = 8
        if size == 1 {
            guard end - offset >= 16 else { throw C2PAError(.jumbf, "truncated JUMBF box header") }
            size = UInt64(readU32(b, offset + 8)) << 32 | UInt64(readU32(b, offset + 12))
            header = 16
        } else if size == 0 {
            size = UInt64(end - offset)
        }
        guard size >= UInt64(header), size <= UInt64(end - offset) else {
            throw C2PAError(.jumbf, "JUMBF box size \(size) at \(offset) exceeds the \(end - offset) bytes available")
        }
        let type = fourCC(b[(offset + 4)..<(offset + 8)])
        let boxEnd = offset + Int(size)
        var box = JUMBFBox(type: type, range: offset..<boxEnd, headerSize: header, description: nil, children: [])
        guard type == "jumb" else { return box }
        guard depth < maxDepth else { throw C2PAError(.jumbf, "JUMBF nested deeper than \(maxDepth) levels") }
        // Description box.
        var cursor = offset + header
        guard let jumd = try parseBox(b, at: cursor, end: boxEnd, depth: depth + 1), jumd.type == "jumd" else {
            throw C2PAError(.jumbf, "JUMBF superbox at \(offset) has no description box")
        }
        box.description = try parseDescription(b, jumd)
        cursor = jumd.range.upperBound
        while cursor < boxEnd {
            guard let child = try parseBox(b, at: cursor, end: boxEnd, depth: depth + 1) else { break }
            box.children.append(child)
            cursor = child.range.upperBound
        }
        return box
    }

    static func parseDescription(_ b: [UInt8], _ jumd: JUMBFBox) throws(C2PAError) -> JUMBFDescription {
        let start = jumd.contentRange.lowerBound
        let end = jumd.range.upperBound
        guard end - start >= 17 else { throw C2PAError(.jumbf, "JUMBF description box too short") }
        let uuid = Array(b[start..<(start + 16)])
        let toggles = b[start + 16]
        var label: String?
        if toggles & 0x02 != 0 {
            let labelStart = start + 17
            guard let nul = b[labelStart..<end].firstIndex(of: 0) else {
                throw C2PAError(.jumbf, "JUMBF label is not NUL-terminated")
            }
            label = String(decoding: b[labelStart..<nul], as: UTF8.self)
        }
        return JUMBFDescription(typeUUID: uuid, typeCode: fourCC(b[start..<(start + 4)]), toggles: toggles, label: label)
    }

    // MARK: - Writing

    static func header(size: Int, type: String) -> [UInt8] {
        let s = UInt32(size)
        return [UInt8(s >> 24), UInt8((s >> 16) & 0xff), UInt8((s >> 8) & 0xff), UInt8(s & 0xff)] + Array(type.utf8)
    }

    /// A content box: `size | type | payload`.
    public static func contentBox(type: String, payload: [UInt8]) -> [UInt8] {
        header(size: 8 + payload.count, type: type) + payload
    }

    /// The description box for a C2PA superbox of type `typeCode` (e.g. `c2pa`, `cbor`).
    public static func descriptionBox(typeCode: String, label: String, salt: [UInt8]? = nil) -> [UInt8] {
        var payload = Array(typeCode.utf8) + uuidTail
        payload.append(salt == nil ? 0x03 : 0x13)
        payload += Array(label.utf8) + [0]
        if let salt { payload += contentBox(type: "c2sh", payload: salt) }
        return contentBox(type: "jumd", payload: payload)
    }

    /// A superbox: `size | jumb | jumd | children`.
    public static func superbox(typeCode: String, label: String, salt: [UInt8]? = nil, children: [[UInt8]]) -> [UInt8] {
        var payload = descriptionBox(typeCode: typeCode, label: label, salt: salt)
        for child in children { payload += child }
        return contentBox(type: "jumb", payload: payload)
    }
}
