/// A CBOR data item (RFC 8949). Maps keep their entries in the order they were read or
/// written, because C2PA hashes and signs CBOR bytes as stored.
public indirect enum CBOR: Sendable, Hashable {
    case unsigned(UInt64)
    /// A negative integer `-1 - n`.
    case negative(UInt64)
    case bytes([UInt8])
    case text(String)
    case array([CBOR])
    case map([CBORMapEntry])
    case tagged(UInt64, CBOR)
    case bool(Bool)
    case null
    case undefined
    case float(Double)
    case simple(UInt8)

    public static func int(_ value: Int) -> CBOR {
        value >= 0 ? .unsigned(UInt64(value)) : .negative(UInt64(-(value + 1)))
    }

    /// A map with text keys, in the given order.
    public static func textMap(_ entries: [(String, CBOR)]) -> CBOR {
        .map(entries.map { CBORMapEntry(key: .text($0.0), value: $0.1) })
    }

    public subscript(key: String) -> CBOR? {
        guard case .map(let entries) = self else { return nil }
        return entries.first { $0.key == .text(key) }?.value
    }

    public subscript(key: Int) -> CBOR? {
        guard case .map(let entries) = self else { return nil }
        return entries.first { $0.key == .int(key) }?.value
    }

    public var textValue: String? { if case .text(let s) = self { return s }; return nil }
    public var bytesValue: [UInt8]? { if case .bytes(let b) = self { return b }; return nil }
    public var arrayValue: [CBOR]? { if case .array(let a) = self { return a }; return nil }
    public var mapValue: [CBORMapEntry]? { if case .map(let m) = self { return m }; return nil }
    public var boolValue: Bool? { if case .bool(let b) = self { return b }; return nil }

    /// The value as a signed integer, when it fits.
    public var intValue: Int? {
        switch self {
        case .unsigned(let n): return n <= UInt64(Int.max) ? Int(n) : nil
        case .negative(let n): return n <= UInt64(Int.max) ? -1 - Int(n) : nil
        default: return nil
        }
    }

    public var uint64Value: UInt64? { if case .unsigned(let n) = self { return n }; return nil }
}

public struct CBORMapEntry: Sendable, Hashable {
    public var key: CBOR
    public var value: CBOR
    public init(key: CBOR, value: CBOR) { self.key = key; self.value = value }
}

// MARK: - Encoding

extension CBOR {
    /// Encodes with definite lengths and the shortest argument forms (RFC 8949 4.2.1).
    /// Map entries keep their order unless `sortKeys` is set, which sorts them bytewise by
    /// encoded key as core deterministic encoding asks.
    public func encoded(sortKeys: Bool = true) -> [UInt8] {
        var out: [UInt8] = []
        encode(into: &out, sortKeys: sortKeys)
        return out
    }

    private static func head(_ major: UInt8, _ argument: UInt64, into out: inout [UInt8]) {
        let m = major << 5
        switch argument {
        case 0..<24: out.append(m | UInt8(argument))
        case 24..<0x100: out.append(m | 24); out.append(UInt8(argument))
        case 0x100..<0x10000:
            out.append(m | 25)
            out.append(UInt8(argument >> 8)); out.append(UInt8(argument & 0xff))
        case 0x10000..<0x1_0000_0000:
            out.append(m | 26)
            for shift in stride(from: 24, through: 0, by: -8) { out.append(UInt8((argument >> UInt64(shift)) & 0xff)) }
        default:
            out.append(m | 27)
            for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8((argument >> UInt64(shift)) & 0xff)) }
        }
    }

    private func encode(into out: inout [UInt8], sortKeys: Bool) {
        switch self {
        case .unsigned(let n): Self.head(0, n, into: &out)
        case .negative(let n): Self.head(1, n, into: &out)
        case .bytes(let b): Self.head(2, UInt64(b.count), into: &out); out.append(contentsOf: b)
        case .text(let s):
            let utf8 = Array(s.utf8)
            Self.head(3, UInt64(utf8.count), into: &out); out.append(contentsOf: utf8)
        case .array(let items):
            Self.head(4, UInt64(items.count), into: &out)
            for item in items { item.encode(into: &out, sortKeys: sortKeys) }
        case .map(let entries):
            Self.head(5, UInt64(entries.count), into: &out)
            var pairs = entries.map { ($0.key.encoded(sortKeys: sortKeys), $0.value) }
            if sortKeys { pairs.sort { $0.0.lexicographicallyPrecedes($1.0) } }
            for (key, value) in pairs {
                out.append(contentsOf: key)
                value.encode(into: &out, sortKeys: sortKeys)
            }
        case .tagged(let tag, let item):
            Self.head(6, tag, into: &out); item.encode(into: &out, sortKeys: sortKeys)
        case .bool(let b): out.append(b ? 0xf5 : 0xf4)
        case .null: out.append(0xf6)
        case .undefined: out.append(0xf7)
        case .simple(let v):
            if v < 24 { out.append(0xe0 | v) } else { out.append(0xf8); out.append(v) }
        case .float(let d):
            if let f = Float(exactly: d), Double(f) == d || d.isNaN {
                out.append(0xfa)
                let bits = f.bitPattern
                for shift in stride(from: 24, through: 0, by: -8) { out.append(UInt8((bits >> UInt32(shift)) & 0xff)) }
            } else {
                out.append(0xfb)
                let bits = d.bitPattern
                for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8((bits >> UInt64(shift)) & 0xff)) }
            }
        }
    }
}

// MARK: - Decoding

/// Limits that keep decoding of untrusted CBOR bounded in time and memory.
public struct CBORLimits: Sendable {
    /// Deepest nesting of arrays, maps and tags.
    public var maxDepth: Int
    /// Most data items in one document.
    public var maxItems: Int
    public init(maxDepth: Int = 64, maxItems: Int = 1_000_000) {
        self.maxDepth = maxDepth
        self.maxItems = maxItems
    }
}

public struct CBORDecoder {
    private let bytes: [UInt8]
    private var position: Int
    private let end: Int
    private let limits: CBORLimits
    private var items = 0

    /// Decodes exactly one data item filling `bytes`; trailing bytes are an error.
    public static func decode(_ bytes: [UInt8], limits: CBORLimits = CBORLimits()) throws(C2PAError) -> CBOR {
        var decoder = CBORDecoder(bytes: bytes, range: 0..<bytes.count, limits: limits)
        let item = try decoder.decodeItem(depth: 0)
        guard decoder.position == decoder.end else {
            throw C2PAError(.cbor, "\(decoder.end - decoder.position) trailing bytes after the CBOR item")
        }
        return item
    }

    /// Decodes the first data item of `bytes` and tells how many bytes it took.
    public static func decodePrefix(_ bytes: [UInt8], limits: CBORLimits = CBORLimits()) throws(C2PAError) -> (CBOR, Int) {
        var decoder = CBORDecoder(bytes: bytes, range: 0..<bytes.count, limits: limits)
        let item = try decoder.decodeItem(depth: 0)
        return (item, decoder.position)
    }

    init(bytes: [UInt8], range: Range<Int>, limits: CBORLimits) {
        self.bytes = bytes
        self.position = range.lowerBound
        self.end = range.upperBound
        self.limits = limits
    }

    private var remaining: Int { end - position }

    private mutating func byte() throws(C2PAError) -> UInt8 {
        guard position < end else { throw C2PAError(.cbor, "CBOR ends early") }
        defer { position += 1 }
        return bytes[position]
    }

    private mutating func take(_ count: UInt64) throws(C2PAError) -> ArraySlice<UInt8> {
        guard count <= UInt64(remaining) else {
            throw C2PAError(.cbor, "CBOR length \(count) exceeds the \(remaining) bytes left")
        }
        let n = Int(count)
        defer { position += n }
        return bytes[position..<position + n]
    }

    private mutating func argument(_ info: UInt8) throws(C2PAError) -> UInt64 {
        switch info {
        case 0..<24: return UInt64(info)
        case 24: return UInt64(try byte())
        case 25, 26, 27:
            let width = 1 << Int(info - 24)
            var value: UInt64 = 0
            for b in try take(UInt64(width)) { value = value << 8 | UInt64(b) }
            return value
        default: throw C2PAError(.cbor, "reserved CBOR additional information \(info)")
        }
    }

    /// A count of items that follow; each needs at least `minBytesEach` bytes, so a count the
    /// remaining bytes cannot hold is rejected before anything is allocated.
    private func checkCount(_ count: UInt64, minBytesEach: Int) throws(C2PAError) -> Int {
        guard count <= UInt64(remaining / minBytesEach) else {
            throw C2PAError(.cbor, "CBOR container claims \(count) items but only \(remaining) bytes are left")
        }
        return Int(count)
    }

    private mutating func countItem() throws(C2PAError) {
        items += 1
        guard items <= limits.maxItems else { throw C2PAError(.cbor, "CBOR has more than \(limits.maxItems) items") }
    }

    mutating func decodeItem(depth: Int) throws(C2PAError) -> CBOR {
        guard depth <= limits.maxDepth else {
            throw C2PAError(.cbor, "CBOR nested deeper than \(limits.maxDepth) levels")
        }
        try countItem()
        let initial = try byte()
        let major = initial >> 5
        let info = initial & 0x1f
        switch major {
        case 0: return .unsigned(try argument(info))
        case 1: return .negative(try argument(info))
        case 2, 3:
            var data: [UInt8]
            if info == 31 {
                data = []
                while true {
                    guard position < end else { throw C2PAError(.cbor, "unterminated indefinite string") }
                    if bytes[position] == 0xff { position += 1; break }
                    let chunkHead = try byte()
                    guard chunkHead >> 5 == major, chunkHead & 0x1f != 31 else {
                        throw C2PAError(.cbor, "bad chunk in an indefinite-length string")
                    }
                    data.append(contentsOf: try take(try argument(chunkHead & 0x1f)))
                }
            } else {
                data = Array(try take(try argument(info)))
            }
            if major == 2 { return .bytes(data) }
            guard let text = String(validating: data, as: UTF8.self) else {
                throw C2PAError(.cbor, "CBOR text is not valid UTF-8")
            }
            return .text(text)
        case 4:
            var result: [CBOR] = []
            if info == 31 {
                while true {
                    guard position < end else { throw C2PAError(.cbor, "unterminated indefinite array") }
                    if bytes[position] == 0xff { position += 1; break }
                    result.append(try decodeItem(depth: depth + 1))
                }
            } else {
                let count = try checkCount(try argument(info), minBytesEach: 1)
                result.reserveCapacity(count)
                for _ in 0..<count { result.append(try decodeItem(depth: depth + 1)) }
            }
            return .array(result)
        case 5:
            var result: [CBORMapEntry] = []
            if info == 31 {
                while true {
                    guard position < end else { throw C2PAError(.cbor, "unterminated indefinite map") }
                    if bytes[position] == 0xff { position += 1; break }
                    let key = try decodeItem(depth: depth + 1)
                    result.append(CBORMapEntry(key: key, value: try decodeItem(depth: depth + 1)))
                }
            } else {
                let count = try checkCount(try argument(info), minBytesEach: 2)
                result.reserveCapacity(count)
                for _ in 0..<count {
                    let key = try decodeItem(depth: depth + 1)
                    result.append(CBORMapEntry(key: key, value: try decodeItem(depth: depth + 1)))
                }
            }
            return .map(result)
        case 6:
            let tag = try argument(info)
            return .tagged(tag, try decodeItem(depth: depth + 1))
        default:
            switch info {
            case 20: return .bool(false)
            case 21: return .bool(true)
            case 22: return .null
            case 23: return .undefined
            case 24:
                let v = try byte()
                return .simple(v)
            case 25:
                let bits = UInt16(try argument(25))
                return .float(Double(Self.halfToFloat(bits)))
            case 26: return .float(Double(Float(bitPattern: UInt32(try argument(26)))))
            case 27: return .float(Double(bitPattern: try argument(27)))
            case 31: throw C2PAError(.cbor, "unexpected CBOR break")
            default:
                if info < 20 { return .simple(info) }
                throw C2PAError(.cbor, "reserved CBOR simple value \(info)")
            }
        }
    }

    private static func halfToFloat(_ h: UInt16) -> Float {
        let sign: Float = (h & 0x8000) != 0 ? -1 : 1
        let exponent = Int((h >> 10) & 0x1f)
        let fraction = Float(h & 0x3ff)
        switch exponent {
        case 0: return sign * fraction * Float(sign: .plus, exponent: -24, significand: 1)
        case 31: return fraction == 0 ? sign * .infinity : .nan
        default: return sign * (1 + fraction / 1024) * Float(sign: .plus, exponent: exponent - 15, significand: 1)
        }
    }
}
