import Foundation
@testable import HallmarkC2PA
import HallmarkCrypto

/// Builds the seed corpus of every target from media files, certificates and time-stamp tokens:
/// each media file is also stamped (development PKI made for the run), and the bytes each
/// sub-parser sees (manifest store, CBOR boxes, COSE signature, certificates, tokens, BMFF hash
/// assertion) are cut out of it. Large files go in as skeletons (big payloads cut to 256 bytes),
/// so that the fuzzers mutate headers rather than video.
public enum Seeder {
    public static func run(inputs: [URL], output: URL) throws {
        var seeder = SeedWriter(output: output)
        let work = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("hallmark-seed-\(getpid())")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let pki = work.appendingPathComponent("pki")
        try DevelopmentPKI.create(in: pki)
        let identity = try DevelopmentPKI.signingIdentity(in: pki)
        try? FileManager.default.removeItem(at: output.appendingPathComponent("anchors.pem"))
        try FileManager.default.copyItem(at: DevelopmentPKI.rootCertificateURL(in: pki), to: output.appendingPathComponent("anchors.pem"))

        var media: [URL] = []
        var tokens: [[UInt8]] = []
        for url in inputs {
            switch url.pathExtension.lowercased() {
            case "pem", "pub", "crt":
                let text = (try? String(contentsOf: url, encoding: .utf8)) ?? ""
                for certificate in (try? Certificate.parsePEM(text)) ?? [] { seeder.add("FuzzX509", certificate.der) }
            case "tsr", "tst":
                if let data = try? Data(contentsOf: url) { tokens.append([UInt8](data)); seeder.add("FuzzTimeStamp", [UInt8](data)) }
            default:
                media.append(url)
            }
        }
        var files: [URL] = []
        for (index, url) in media.enumerated() {
            files.append(url)
            let stamped = work.appendingPathComponent("stamped-\(index).mp4")
            let request = ManifestRequest(generatorName: "hallmark-fuzz-seed", generatorVersion: "1", title: url.lastPathComponent,
                                          softBindingMarkId: 0x0123_4567_89ab_cdef, model: "seed", clipLabel: "seed")
            if (try? ManifestEmbedder.embed(input: url, output: stamped, request: request, identity: identity)) != nil {
                files.append(stamped)
            }
        }
        var signatures: [COSESign1] = []
        for url in files {
            guard let data = try? Data(contentsOf: url) else { continue }
            let bytes = [UInt8](data)
            let small = bytes.count <= 100_000 ? bytes : skeleton(bytes)
            seeder.add("FuzzBMFF", skeleton(bytes))
            seeder.add("FuzzManifest", small)
            guard let asset = try? Asset(url: url, fragments: []), let store = try? asset.embeddedStore() else { continue }
            seeder.add("FuzzJUMBF", store)
            seeder.add("FuzzManifestStore", store)
            guard let root = try? JUMBF.parse(store) else { continue }
            walk(root) { box, parent in
                guard box.description == nil, box.type == "cbor" else { return }
                let content = Array(store[box.contentRange])
                seeder.add("FuzzCBOR", content)
                if parent.description?.typeCode == "c2cs", let sign1 = try? COSESign1(bytes: content) {
                    seeder.add("FuzzCOSE", content)
                    seeder.add("FuzzCBOR", sign1.protectedBytes)
                    signatures.append(sign1)
                    for der in sign1.certificateChain ?? [] { seeder.add("FuzzX509", der) }
                    for token in sign1.timeStampTokens { seeder.add("FuzzTimeStamp", token.token) }
                }
                if let label = parent.label, BMFFHashAssertion.version(ofLabel: label) != nil {
                    let version = UInt8(BMFFHashAssertion.version(ofLabel: label)! - 1)
                    seeder.add("FuzzBMFFHash", hashInput(assertion: content, version: version, asset: small))
                }
            }
        }
        // Signatures carrying a time-stamp token (sigTst2), so that the COSE target reaches them.
        if let sign1 = signatures.first {
            for token in tokens {
                var copy = sign1
                copy.unprotectedHeader = .textMap([("sigTst2", .textMap([("tstTokens", .array([.textMap([("val", .bytes(token))])]))]))])
                seeder.add("FuzzCOSE", copy.encoded)
            }
        }
        for (assertion, asset) in merkleSeeds() { seeder.add("FuzzBMFFHash", hashInput(assertion: assertion, version: 2, asset: asset)) }
        FileHandle.standardError.write(Data("seeds: \(seeder.counts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))\n".utf8))
    }

    /// The input layout of FuzzBMFFHash: u16 length, assertion CBOR, label version selector, asset bytes.
    public static func hashInput(assertion: [UInt8], version: UInt8, asset: [UInt8]) -> [UInt8] {
        let n = min(assertion.count, 0xffff)
        return [UInt8(n >> 8), UInt8(n & 0xff)] + assertion.prefix(n) + [version] + asset
    }

    static func walk(_ box: JUMBFBox, _ visit: (JUMBFBox, JUMBFBox) -> Void) {
        for child in box.children {
            visit(child, box)
            walk(child, visit)
        }
    }

    /// The file with every large non-container payload cut to 256 bytes (box sizes rewritten).
    static func skeleton(_ bytes: [UInt8]) -> [UInt8] {
        guard let boxes = try? BMFFParser.parse(MemoryByteSource(bytes), descend: false) else { return Array(bytes.prefix(65_536)) }
        var out: [UInt8] = []
        for box in boxes {
            let start = Int(box.offset), end = Int(box.end)
            if box.size <= 4096 || BMFFParser.containers.contains(box.type) || box.type == "uuid" {
                out += bytes[start..<end]
            } else {
                let payload = bytes[(start + box.headerSize)..<min(end, start + box.headerSize + 256)]
                out += JUMBF.contentBox(type: box.type, payload: Array(payload))
            }
        }
        return out
    }

    static func box(_ type: String, _ payload: [UInt8]) -> [UInt8] { JUMBF.contentBox(type: type, payload: payload) }

    /// A C2PA `merkle` uuid box with the proof of one leaf.
    static func proofBox(location: Int, hashes: [[UInt8]]) -> [UInt8] {
        let cbor = CBOR.textMap([("uniqueId", .int(1)), ("localId", .int(1)), ("location", .int(location)),
                                 ("hashes", .array(hashes.map { .bytes($0) }))]).encoded(sortKeys: false)
        return box("uuid", BMFFParser.c2paUUID + [0, 0, 0, 0] + Array("merkle".utf8) + [0] + cbor + [0, 0, 0])
    }

    static func assertion(merkle: [CBOR], hash: [UInt8]? = nil) -> [UInt8] {
        var entries: [(String, CBOR)] = [("exclusions", .array(BMFFExclusion.defaults.map(\.cbor))), ("alg", .text("sha256"))]
        if let hash { entries.append(("hash", .bytes(hash))) }
        entries.append(("merkle", .array(merkle)))
        return CBOR.textMap(entries).encoded(sortKeys: false)
    }

    /// Valid Merkle bindings (so that mutations start from the deep paths): mdat blocks of a
    /// fixed and of variable sizes, leaf rows stored or only the root, and a single-file
    /// fragmented MP4 with proof boxes.
    static func merkleSeeds() -> [([UInt8], [UInt8])] {
        let alg = HashAlgorithm.sha256
        var seeds: [([UInt8], [UInt8])] = []
        let head = box("ftyp", Array("isom".utf8) + [0, 0, 2, 0] + Array("isomiso2".utf8)) + box("moov", box("mvhd", [UInt8](repeating: 0, count: 100)))
        let mdatPayload = (0..<200).map { UInt8(truncatingIfNeeded: $0 &* 37) }
        let file = head + box("mdat", mdatPayload)
        let blocks = Array(file[(head.count + 16)...])
        func leaves(_ sizes: [Int]) -> [[UInt8]] {
            var cursor = 0
            return sizes.map { size in defer { cursor += size }; return alg.hash(Array(blocks[cursor..<(cursor + size)])) }
        }
        let fixed = 32
        let fixedSizes = stride(from: 0, to: blocks.count, by: fixed).map { min(fixed, blocks.count - $0) }
        let fixedLeaves = leaves(fixedSizes)
        func map(count: Int, hashes: [[UInt8]], extra: [(String, CBOR)]) -> CBOR {
            .textMap([("uniqueId", .int(1)), ("localId", .int(1)), ("count", .int(count)), ("alg", .text("sha256")),
                      ("hashes", .array(hashes.map { .bytes($0) }))] + extra)
        }
        seeds.append((assertion(merkle: [map(count: fixedLeaves.count, hashes: fixedLeaves, extra: [("fixedBlockSize", .int(fixed))])]), file))
        if let root = MerkleVerifier.root(fixedLeaves, algorithm: alg) {
            seeds.append((assertion(merkle: [map(count: fixedLeaves.count, hashes: [root], extra: [("fixedBlockSize", .int(fixed))])]), file))
        }
        let variableSizes = [10, 50, 1, blocks.count - 61]
        let variableLeaves = leaves(variableSizes)
        if let root = MerkleVerifier.root(variableLeaves, algorithm: alg) {
            seeds.append((assertion(merkle: [map(count: 4, hashes: [root], extra: [("variableBlockSizes", .array(variableSizes.map { .int($0) }))])]), file))
        }

        // Fragmented, in one file: ftyp moov | moof uuid(proof) mdat | moof uuid(proof) mdat.
        let moof = box("moof", box("mfhd", [0, 0, 0, 0, 0, 0, 0, 1]))
        let placeholder = proofBox(location: 0, hashes: [[UInt8](repeating: 0, count: 32)])
        let fragment = moof + placeholder + box("mdat", Array(mdatPayload.prefix(64)))
        let draft = head + fragment + fragment
        guard let boxes = try? BMFFParser.parse(MemoryByteSource(draft)),
              let plan = try? BMFFHashPlan(exclusions: BMFFExclusion.defaults, version: 3, boxes: boxes, fileLength: UInt64(draft.count),
                                           read: { try MemoryByteSource(draft).read(at: $0, count: $1) }) else { return seeds }
        let first = UInt64(head.count), second = UInt64(head.count + fragment.count)
        func hash(_ range: Range<UInt64>) -> [UInt8] { (try? plan.clipped(to: range).hash(MemoryByteSource(draft), algorithm: alg)) ?? [] }
        let leaf0 = hash(first..<second), leaf1 = hash(second..<UInt64(draft.count))
        let initHash = hash(0..<first)
        let root = alg.hash(leaf0 + leaf1)
        // The proof boxes are excluded (/uuid), so filling them in changes no hash.
        let fragmented = head + moof + proofBox(location: 0, hashes: [leaf1]) + box("mdat", Array(mdatPayload.prefix(64)))
            + moof + proofBox(location: 1, hashes: [leaf0]) + box("mdat", Array(mdatPayload.prefix(64)))
        seeds.append((assertion(merkle: [map(count: 2, hashes: [root], extra: [("initHash", .bytes(initHash))])]), fragmented))
        return seeds
    }
}

struct SeedWriter {
    let output: URL
    var counts: [String: Int] = [:]

    mutating func add(_ target: String, _ bytes: [UInt8]) {
        guard !bytes.isEmpty else { return }
        let directory = output.appendingPathComponent(target)
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let name = HashAlgorithm.sha256.hash(bytes).prefix(10).map { String(format: "%02x", $0) }.joined()
        let url = directory.appendingPathComponent("seed-\(name)")
        if !FileManager.default.fileExists(atPath: url.path) {
            try? Data(bytes).write(to: url)
            counts[target, default: 0] += 1
        }
    }
}
