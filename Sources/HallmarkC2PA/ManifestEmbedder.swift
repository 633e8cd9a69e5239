import Foundation
import HallmarkCrypto

/// Writes a signed C2PA manifest into an MP4/MOV file, in a top-level `uuid` box after `ftyp`.
///
/// One pass over the media: box headers and `moov` are read first, then the output is written
/// sequentially (ftyp, a zero-filled manifest box of the exact final size, the patched moov,
/// the rest copied as is) while the BMFF hash is computed over what is written. Then the claim
/// is signed and the store written into the reserved space. `output` is written in place (and
/// removed on failure): to replace a file atomically, give a temporary path and rename it.
public enum ManifestEmbedder {
    /// `uuid` box header up to the JUMBF: size, type, UUID, version/flags, "manifest\0", u64.
    static let manifestBoxHeaderSize = 8 + 16 + 4 + 9 + 8

    @discardableResult
    public static func embed(input: URL, output: URL, request: ManifestRequest, identity: SigningIdentity) throws -> [UInt8] {
        try checkDistinct(input: input, output: output)
        let source = try FileByteSource(url: input)
        let boxes = try BMFFParser.parse(source, descend: false)
        guard let ftyp = boxes.first, ftyp.type == "ftyp" else {
            throw C2PAError(.bmff, "\(input.lastPathComponent) does not start with an 'ftyp' box: not an MP4/MOV file")
        }
        guard ftyp.size <= 1 << 20 else { throw C2PAError(.bmff, "the 'ftyp' box is implausibly large (\(ftyp.size) bytes)") }
        guard let moovIndex = boxes.firstIndex(where: { $0.type == "moov" }) else {
            throw C2PAError(.bmff, "\(input.lastPathComponent) has no 'moov' box")
        }
        if boxes.contains(where: { $0.type == "uuid" && $0.userType == BMFFParser.c2paUUID }) {
            throw C2PAError(.unsupported, "\(input.lastPathComponent) already holds a C2PA manifest")
        }
        if boxes.contains(where: { $0.type == "moof" }) {
            throw C2PAError(.unsupported, "fragmented MP4 (moof boxes) cannot be signed in place")
        }
        if boxes.contains(where: { $0.type == "meta" }) {
            throw C2PAError(.unsupported, "a top-level 'meta' box (item offsets) cannot be relocated safely")
        }

        // Size the manifest box with a placeholder hash: the final store has the same size.
        let builder = ManifestBuilder(request: request, identity: identity)
        let placeholder = try builder.store(bmffHash: [UInt8](repeating: 0, count: 32))
        let boxSize = manifestBoxHeaderSize + placeholder.count
        let delta = UInt64(boxSize)

        // Read and patch moov.
        let moov = boxes[moovIndex]
        guard moov.size <= BMFFParser.maxContainerSize else { throw C2PAError(.limit, "moov box too large") }
        var moovBytes = try source.read(at: moov.offset, count: Int(moov.size))
        var count = 0
        let moovTree = try BMFFParser.children(of: moov, in: moovBytes, base: moov.offset, depth: 1, count: &count)
        try ChunkOffsetPatcher.patch(&moovBytes, tree: moovTree, base: moov.offset, delta: delta)

        // Output layout.
        var layout: [(box: BMFFBox, inputOffset: UInt64)] = []
        var manifestBox = BMFFBox(type: "uuid", offset: ftyp.size, size: delta, headerSize: 24, userType: BMFFParser.c2paUUID)
        manifestBox.versionFlags = 0
        layout.append((ftyp, 0))
        layout.append((manifestBox, UInt64.max))
        for box in boxes.dropFirst() {
            var moved = box
            moved.offset = box.offset + delta
            layout.append((moved, box.offset))
        }
        let outputLength = source.length + delta
        let manifestHeader = manifestBoxHeader(size: boxSize)
        let plan = try BMFFHashPlan(exclusions: BMFFExclusion.defaults, version: 3, boxes: layout.map(\.box),
                                    fileLength: outputLength) { offset, length in
            // Data matches (the uuid exclusion) look at box headers only.
            guard let entry = layout.last(where: { $0.box.offset <= offset }) else { return [] }
            let relative = offset - entry.box.offset
            if entry.inputOffset == UInt64.max {
                let end = min(Int(relative) + length, manifestHeader.count)
                return Int(relative) < end ? Array(manifestHeader[Int(relative)..<end]) : []
            }
            guard relative + UInt64(length) <= entry.box.size else { return [] }
            return try source.read(at: entry.inputOffset + relative, count: length)
        }

        // One sequential pass: write and hash.
        let writer = try OutputFileWriter(destination: output)
        let hasher = StreamingPlanHasher(plan: plan, algorithm: .sha256)
        func emit(_ bytes: [UInt8]) throws {
            bytes.withUnsafeBytes { hasher.feed($0, at: writer.position) }
            try writer.write(bytes)
        }
        try emit(try source.read(at: 0, count: Int(ftyp.size)))
        try emit(manifestHeader + [UInt8](repeating: 0, count: placeholder.count))
        var inputPosition = ftyp.end
        for box in boxes.dropFirst() {
            guard box.offset == inputPosition else { throw C2PAError(.bmff, "gap between boxes at \(inputPosition)") }
            if box.offset == moov.offset {
                try emit(moovBytes)
            } else {
                try source.stream(box.offset..<box.end) { _, chunk in try emit(chunk) }
            }
            inputPosition = box.end
        }
        let hash = hasher.finalize()

        let store = try builder.store(bmffHash: hash)
        guard store.count == placeholder.count else {
            throw C2PAError(.manifest, "internal error: the signed manifest is \(store.count) bytes, \(placeholder.count) were reserved")
        }
        try writer.overwrite(store, at: ftyp.size + UInt64(manifestBoxHeaderSize))
        try writer.finish()
        return store
    }

    static func manifestBoxHeader(size: Int) -> [UInt8] {
        var header = JUMBF.header(size: size, type: "uuid")
        header += BMFFParser.c2paUUID
        header += [0, 0, 0, 0]
        header += Array("manifest".utf8) + [0]
        header += [UInt8](repeating: 0, count: 8)
        return header
    }

    static func checkDistinct(input: URL, output: URL) throws {
        let a = input.standardizedFileURL.resolvingSymlinksInPath().path
        let b = output.standardizedFileURL.resolvingSymlinksInPath().path
        if a == b { throw C2PAError(.io, "the output must not be the input file") }
        var sa = stat()
        var sb = stat()
        if stat(a, &sa) == 0, stat(b, &sb) == 0, sa.st_dev == sb.st_dev, sa.st_ino == sb.st_ino {
            throw C2PAError(.io, "the output must not be the input file")
        }
    }
}

/// Shifts absolute chunk offsets (`stco`, `co64`) in a moov box held in memory.
enum ChunkOffsetPatcher {
    static func patch(_ bytes: inout [UInt8], tree: [BMFFBox], base: UInt64, delta: UInt64) throws {
        for trak in tree where trak.type == "trak" {
            for box in BMFFParser.select("/mdia/minf/stbl/stco", in: trak.children) + BMFFParser.select("/mdia/minf/stbl/co64", in: trak.children) {
                let wide = box.type == "co64"
                let start = Int(box.payloadOffset - base)
                let end = Int(box.end - base)
                guard end - start >= 8 else { throw C2PAError(.bmff, "\(box.type) box too short") }
                let entries = Int(JUMBF.readU32(bytes, start + 4))
                let width = wide ? 8 : 4
                guard entries <= (end - start - 8) / width else {
                    throw C2PAError(.bmff, "\(box.type) claims \(entries) entries, more than the box holds")
                }
                var p = start + 8
                for _ in 0..<entries {
                    if wide {
                        let value = UInt64(JUMBF.readU32(bytes, p)) << 32 | UInt64(JUMBF.readU32(bytes, p + 4))
                        let (patched, overflow) = value.addingReportingOverflow(delta)
                        guard !overflow else { throw C2PAError(.bmff, "co64 offset overflows") }
                        for i in 0..<8 { bytes[p + i] = UInt8((patched >> (56 - 8 * UInt64(i))) & 0xff) }
                    } else {
                        let value = UInt64(JUMBF.readU32(bytes, p)) + delta
                        guard value <= UInt64(UInt32.max) else {
                            throw C2PAError(.unsupported, "a 32-bit chunk offset would overflow; the file needs co64")
                        }
                        for i in 0..<4 { bytes[p + i] = UInt8((value >> (24 - 8 * UInt64(i))) & 0xff) }
                    }
                    p += width
                }
            }
        }
    }
}
