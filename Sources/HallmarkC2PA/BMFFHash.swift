import HallmarkCrypto

/// One exclusion of a BMFF hard binding (C2PA 18.6).
public struct BMFFExclusion: Sendable, Equatable {
    public struct DataMatch: Sendable, Equatable { public var offset: UInt64; public var value: [UInt8] }
    public struct Subset: Sendable, Equatable { public var offset: UInt64; public var length: UInt64 }

    public var xpath: String
    public var length: UInt64?
    public var data: [DataMatch]?
    public var subset: [Subset]?
    public var version: UInt8?
    public var flags: [UInt8]?
    public var exact: Bool?

    public init(xpath: String, length: UInt64? = nil, data: [DataMatch]? = nil, subset: [Subset]? = nil,
                version: UInt8? = nil, flags: [UInt8]? = nil, exact: Bool? = nil) {
        self.xpath = xpath; self.length = length; self.data = data; self.subset = subset
        self.version = version; self.flags = flags; self.exact = exact
    }

    var cbor: CBOR {
        var entries: [(String, CBOR)] = [("xpath", .text(xpath))]
        if let length { entries.append(("length", .unsigned(length))) }
        if let data {
            entries.append(("data", .array(data.map { .textMap([("offset", .unsigned($0.offset)), ("value", .bytes($0.value))]) })))
        }
        if let subset {
            entries.append(("subset", .array(subset.map { .textMap([("offset", .unsigned($0.offset)), ("length", .unsigned($0.length))]) })))
        }
        if let version { entries.append(("version", .unsigned(UInt64(version)))) }
        if let flags { entries.append(("flags", .bytes(flags))) }
        if let exact { entries.append(("exact", .bool(exact))) }
        return .textMap(entries)
    }

    init(cbor: CBOR) throws {
        guard let xpath = cbor["xpath"]?.textValue else { throw C2PAError(.manifest, "BMFF exclusion without xpath") }
        self.xpath = xpath
        length = cbor["length"]?.uint64Value
        if let items = cbor["data"]?.arrayValue {
            data = try items.map {
                guard let offset = $0["offset"]?.uint64Value, let value = $0["value"]?.bytesValue else {
                    throw C2PAError(.manifest, "malformed BMFF exclusion data entry")
                }
                return DataMatch(offset: offset, value: value)
            }
        }
        if let items = cbor["subset"]?.arrayValue {
            subset = try items.map {
                guard let offset = $0["offset"]?.uint64Value, let length = $0["length"]?.uint64Value else {
                    throw C2PAError(.manifest, "malformed BMFF exclusion subset entry")
                }
                return Subset(offset: offset, length: length)
            }
        }
        if let v = cbor["version"]?.uint64Value { version = UInt8(truncatingIfNeeded: v) }
        flags = cbor["flags"]?.bytesValue
        exact = cbor["exact"]?.boolValue
    }

    /// The exclusions every Hallmark BMFF hash uses (A.5.6 plus c2pa-rs' `/free`, `/skip`).
    public static var defaults: [BMFFExclusion] {
        [BMFFExclusion(xpath: "/uuid", data: [DataMatch(offset: 8, value: BMFFParser.c2paUUID)]),
         BMFFExclusion(xpath: "/ftyp"), BMFFExclusion(xpath: "/mfra"),
         BMFFExclusion(xpath: "/free"), BMFFExclusion(xpath: "/skip")]
    }
}

/// A Merkle map of a BMFF hash (fragmented MP4, or mdat blocks).
public struct BMFFMerkleMap: Sendable {
    public var uniqueId: Int
    public var localId: Int
    public var count: Int
    public var alg: String?
    public var initHash: [UInt8]?
    public var hashes: [[UInt8]]
    public var fixedBlockSize: UInt64?
    public var variableBlockSizes: [UInt64]?

    init(cbor: CBOR) throws {
        guard let unique = cbor["uniqueId"]?.intValue, let local = cbor["localId"]?.intValue,
              let count = cbor["count"]?.intValue, count >= 0,
              let hashes = cbor["hashes"]?.arrayValue else {
            throw C2PAError(.manifest, "malformed Merkle map")
        }
        // Bounded here, before anything sizes an array or a loop by it (`layout(leaves:)` would
        // overflow on Int.max).
        guard count <= MerkleVerifier.maxLeaves else {
            throw C2PAError(.manifest, "Merkle map claims \(count) leaves, more than the \(MerkleVerifier.maxLeaves) supported")
        }
        uniqueId = unique; localId = local; self.count = count
        alg = cbor["alg"]?.textValue
        initHash = cbor["initHash"]?.bytesValue
        self.hashes = try hashes.map {
            guard let b = $0.bytesValue else { throw C2PAError(.manifest, "Merkle hash is not a byte string") }
            return b
        }
        fixedBlockSize = cbor["fixedBlockSize"]?.uint64Value
        variableBlockSizes = try cbor["variableBlockSizes"]?.arrayValue?.map {
            guard let n = $0.uint64Value else { throw C2PAError(.manifest, "bad variableBlockSizes") }
            return n
        }
    }
}

/// A `c2pa.hash.bmff` hard binding (version 1, 2 or 3, from its label).
public struct BMFFHashAssertion: Sendable {
    public var exclusions: [BMFFExclusion]
    public var alg: String?
    public var hash: [UInt8]?
    public var name: String?
    public var merkle: [BMFFMerkleMap]?
    /// 1 for `c2pa.hash.bmff`, 2 and 3 for `.v2`, `.v3`. From 2 on, box offsets are hashed.
    public var version: Int

    public init(exclusions: [BMFFExclusion] = BMFFExclusion.defaults, alg: String = "sha256", hash: [UInt8]?, name: String? = "jumbf manifest", version: Int = 3) {
        self.exclusions = exclusions; self.alg = alg; self.hash = hash; self.name = name; self.version = version
    }

    public static func version(ofLabel label: String) -> Int? {
        switch BMFFHashAssertion.baseLabel(label) {
        case "c2pa.hash.bmff": return 1
        case "c2pa.hash.bmff.v2": return 2
        case "c2pa.hash.bmff.v3": return 3
        default: return nil
        }
    }

    /// A label without a `__N` instance suffix.
    static func baseLabel(_ label: String) -> String {
        if let range = label.range(of: "__") { return String(label[..<range.lowerBound]) }
        return label
    }

    public init(cbor: CBOR, label: String) throws {
        guard let version = Self.version(ofLabel: label) else { throw C2PAError(.manifest, "\(label) is not a BMFF hash") }
        self.version = version
        guard let items = cbor["exclusions"]?.arrayValue else { throw C2PAError(.manifest, "BMFF hash without exclusions") }
        exclusions = try items.map(BMFFExclusion.init(cbor:))
        alg = cbor["alg"]?.textValue
        hash = cbor["hash"]?.bytesValue
        name = cbor["name"]?.textValue
        merkle = try cbor["merkle"]?.arrayValue?.map(BMFFMerkleMap.init(cbor:))
    }

    public var cbor: CBOR {
        var entries: [(String, CBOR)] = [("exclusions", .array(exclusions.map(\.cbor)))]
        if let alg { entries.append(("alg", .text(alg))) }
        if let hash { entries.append(("hash", .bytes(hash))) }
        if let name { entries.append(("name", .text(name))) }
        return .textMap(entries)
    }

    var hashAlgorithm: HashAlgorithm? { HashAlgorithm(rawValue: alg ?? "sha256") }

    /// The structure is usable: exclusions present, subsets ordered and not overlapping.
    func checkWellFormed() throws {
        guard !exclusions.isEmpty else { throw C2PAError(.manifest, "BMFF hash has no exclusions") }
        for exclusion in exclusions {
            guard let subsets = exclusion.subset, subsets.count > 1 else { continue }
            for i in 0..<(subsets.count - 1) {
                let (end, overflow) = subsets[i].offset.addingReportingOverflow(subsets[i].length)
                guard !overflow, end <= subsets[i + 1].offset else {
                    throw C2PAError(.manifest, "BMFF hash subsets overlap or are out of order")
                }
            }
        }
    }
}

/// What a BMFF hash covers in one file: the bytes not excluded, with the 64-bit offsets of
/// top-level boxes interleaved for version 2 and 3 (the rule c2pa-rs implements).
struct BMFFHashPlan: Sendable {
    enum Step: Sendable, Equatable {
        /// Hash these bytes of the file.
        case bytes(Range<UInt64>)
        /// Hash the big-endian 64-bit offset.
        case offset(UInt64)
    }

    var steps: [Step]

    /// Works out the plan for `boxes` (the file's box tree). `read` fetches bytes for data
    /// matches.
    init(exclusions: [BMFFExclusion], version: Int, boxes: [BMFFBox], fileLength: UInt64,
         read: (UInt64, Int) throws -> [UInt8]) throws {
        var excluded: [Range<UInt64>] = []
        var topLevel = boxes.map(\.offset)
        for exclusion in exclusions {
            for box in BMFFParser.select(exclusion.xpath, in: boxes) {
                if let length = exclusion.length, length != box.size { continue }
                if let version = exclusion.version, let boxVersion = box.version, version != boxVersion { continue }
                if let wanted = exclusion.flags, let boxFlags = box.flags {
                    var desired: UInt32 = 0
                    if wanted.count >= 3 { desired = UInt32(wanted[0]) << 16 | UInt32(wanted[1]) << 8 | UInt32(wanted[2]) }
                    if exclusion.exact ?? true {
                        if desired != boxFlags { continue }
                    } else if desired | boxFlags != desired { continue }
                }
                if let data = exclusion.data {
                    var matches = true
                    for item in data {
                        let (start, overflow) = box.offset.addingReportingOverflow(item.offset)
                        guard !overflow, start <= fileLength, UInt64(item.value.count) <= fileLength - start,
                              item.value.count <= 1 << 20 else { matches = false; break }
                        if try read(start, item.value.count) != item.value { matches = false; break }
                    }
                    if !matches { continue }
                }
                if let subsets = exclusion.subset {
                    for subset in subsets where subset.offset <= box.size {
                        let start = box.offset + subset.offset
                        let length = subset.length == 0 ? box.size - subset.offset : min(subset.length, box.size - subset.offset)
                        if length > 0 { excluded.append(start..<(start + length)) }
                    }
                } else {
                    if box.size > 0 { excluded.append(box.offset..<box.end) }
                    if let i = topLevel.firstIndex(of: box.offset) { topLevel.remove(at: i) }
                }
            }
        }
        for range in excluded where range.upperBound > fileLength {
            throw C2PAError(.bmff, "an exclusion range runs past the end of the file")
        }
        // Included ranges: the complement of the exclusions.
        excluded.sort { $0.lowerBound < $1.lowerBound }
        var included: [Range<UInt64>] = []
        var cursor: UInt64 = 0
        for range in excluded {
            if range.lowerBound > cursor { included.append(cursor..<range.lowerBound) }
            cursor = max(cursor, range.upperBound)
        }
        if cursor < fileLength { included.append(cursor..<fileLength) }

        guard version >= 2 else {
            steps = included.map { .bytes($0) }
            return
        }
        // c2pa-rs hashes an offset inside an included range just before the byte it names,
        // and one outside every range only if it lies between the first and last range.
        let markers = topLevel.sorted()
        let first = included.first?.lowerBound ?? 0
        let last = included.last.map { $0.upperBound - 1 } ?? (fileLength == 0 ? 0 : fileLength - 1)
        var steps: [Step] = []
        var markerIndex = 0
        for range in included {
            var start = range.lowerBound
            while markerIndex < markers.count, markers[markerIndex] < range.upperBound {
                let marker = markers[markerIndex]
                markerIndex += 1
                if marker < range.lowerBound {
                    if marker > first && marker < last { steps.append(.offset(marker)) }
                    continue
                }
                if marker > start { steps.append(.bytes(start..<marker)); start = marker }
                steps.append(.offset(marker))
            }
            if start < range.upperBound { steps.append(.bytes(start..<range.upperBound)) }
        }
        self.steps = steps
    }

    /// The plan restricted to `window` (bytes outside it excluded, offsets outside it dropped),
    /// for hashing one fragment or the init segment of a single fragmented file.
    func clipped(to window: Range<UInt64>) -> BMFFHashPlan {
        var copy = self
        copy.steps = steps.compactMap { step in
            switch step {
            case .offset(let offset): return window.contains(offset) ? step : nil
            case .bytes(let range):
                let clamped = range.clamped(to: window)
                return clamped.isEmpty ? nil : .bytes(clamped)
            }
        }
        return copy
    }

    /// Hashes a file by the plan, reading only the bytes it covers.
    func hash(_ source: ByteSource, algorithm: HashAlgorithm) throws -> [UInt8] {
        let hasher = DigestHasher(algorithm)
        for step in steps {
            switch step {
            case .offset(let offset): hasher.update(Self.be64(offset))
            case .bytes(let range):
                if let file = source as? FileByteSource {
                    try file.stream(range) { _, chunk in hasher.update(chunk) }
                } else {
                    var position = range.lowerBound
                    while position < range.upperBound {
                        let n = Int(min(1 << 22, range.upperBound - position))
                        hasher.update(try source.read(at: position, count: n))
                        position += UInt64(n)
                    }
                }
            }
        }
        return hasher.finalize()
    }

    static func be64(_ value: UInt64) -> [UInt8] { (0..<8).map { UInt8((value >> (56 - 8 * UInt64($0))) & 0xff) } }
}

/// Applies a plan to bytes that arrive in file order (the embedder hashes while it writes).
final class StreamingPlanHasher {
    private let steps: [BMFFHashPlan.Step]
    private var index = 0
    private let hasher: DigestHasher

    init(plan: BMFFHashPlan, algorithm: HashAlgorithm) {
        steps = plan.steps
        hasher = DigestHasher(algorithm)
    }

    /// `bytes` are the file's bytes at `position`; calls must be contiguous and in order.
    func feed(_ bytes: UnsafeRawBufferPointer, at position: UInt64) {
        let end = position + UInt64(bytes.count)
        while index < steps.count {
            switch steps[index] {
            case .offset(let offset):
                guard offset < end else { return }
                hasher.update(BMFFHashPlan.be64(offset))
                index += 1
            case .bytes(let range):
                guard range.lowerBound < end else { return }
                let a = max(range.lowerBound, position)
                let b = min(range.upperBound, end)
                if a < b { hasher.update(UnsafeRawBufferPointer(rebasing: bytes[Int(a - position)..<Int(b - position)])) }
                if range.upperBound <= end { index += 1 } else { return }
            }
        }
    }

    func finalize() -> [UInt8] { hasher.finalize() }
}
