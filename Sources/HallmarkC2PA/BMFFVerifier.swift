import HallmarkCrypto

/// Checks a BMFF hard binding against an asset: the flat hash, and Merkle trees.
enum BMFFVerifier {
    static func verify(_ assertion: BMFFHashAssertion, asset: Asset) throws -> Bool {
        try assertion.checkWellFormed()
        guard let algorithm = assertion.hashAlgorithm else { throw C2PAError(.manifest, "unsupported hash algorithm \(assertion.alg ?? "")") }
        if let expected = assertion.hash {
            let plan = try BMFFHashPlan(exclusions: assertion.exclusions, version: assertion.version, boxes: asset.boxes,
                                        fileLength: asset.source.length) { try asset.source.read(at: $0, count: $1) }
            guard try plan.hash(asset.source, algorithm: algorithm) == expected else { return false }
        }
        if let merkle = assertion.merkle, !merkle.isEmpty {
            return try MerkleVerifier.verify(assertion, maps: merkle, asset: asset)
        }
        return assertion.hash != nil
    }
}

/// An auxiliary `merkle` uuid box: where a fragment (or block) sits in a Merkle tree.
struct BMFFMerkleProof {
    var uniqueId: Int
    var localId: Int
    var location: Int
    var hashes: [[UInt8]]?

    /// Proofs of the C2PA `merkle` uuid boxes among `boxes`.
    static func all(in boxes: [BMFFBox], source: ByteSource) throws -> [BMFFMerkleProof] {
        var proofs: [BMFFMerkleProof] = []
        for box in boxes where box.type == "uuid" && box.userType == BMFFParser.c2paUUID {
            let length = box.end - box.payloadOffset
            guard length > 4, length <= 16 << 20 else { continue }
            let payload = try source.read(at: box.payloadOffset, count: Int(length))
            guard let nul = payload[4...].firstIndex(of: 0), String(decoding: payload[4..<nul], as: UTF8.self) == "merkle" else { continue }
            // CBOR, then zero padding.
            let (cbor, _) = try CBORDecoder.decodePrefix(Array(payload[(nul + 1)...]))
            guard let unique = cbor["uniqueId"]?.intValue, let local = cbor["localId"]?.intValue,
                  let location = cbor["location"]?.intValue, location >= 0 else {
                throw C2PAError(.manifest, "malformed Merkle proof box")
            }
            let hashes = try cbor["hashes"]?.arrayValue?.map {
                guard let b = $0.bytesValue else { throw C2PAError(.manifest, "Merkle proof hash is not a byte string") }
                return b
            }
            proofs.append(BMFFMerkleProof(uniqueId: unique, localId: local, location: location, hashes: hashes))
        }
        return proofs
    }
}

/// Merkle-tree variants of the BMFF hash (C2PA 18.6.3), as c2pa-rs checks them.
enum MerkleVerifier {
    static func verify(_ assertion: BMFFHashAssertion, maps: [BMFFMerkleMap], asset: Asset) throws -> Bool {
        if !asset.fragments.isEmpty { return try verifyFragmentFiles(assertion, maps: maps, asset: asset) }
        let firstMoof = asset.boxes.first { $0.type == "moof" }
        guard let firstMoof else {
            if maps.contains(where: { $0.initHash != nil }) { return false } // initHash needs fragments
            if maps.allSatisfy({ $0.fixedBlockSize != nil || $0.variableBlockSizes != nil }) {
                return try verifyMdatBlocks(assertion, maps: maps, asset: asset)
            }
            throw C2PAError(.unsupported, "Merkle hashes over track chunks (timed media) are not supported yet")
        }
        // One file holding the init segment and all its fragments.
        let proofs = try BMFFMerkleProof.all(in: asset.boxes, source: asset.source)
        let base = try BMFFHashPlan(exclusions: assertion.exclusions, version: assertion.version, boxes: asset.boxes,
                                    fileLength: asset.source.length) { try asset.source.read(at: $0, count: $1) }
        for map in maps {
            guard let algorithm = HashAlgorithm(rawValue: map.alg ?? assertion.alg ?? "sha256") else { return false }
            if let initHash = map.initHash {
                let initPlan = base.clipped(to: 0..<firstMoof.offset)
                guard try initPlan.hash(asset.source, algorithm: algorithm) == initHash else { return false }
            }
            // Runs of boxes from each moof to the next.
            var chunks: [Range<UInt64>] = []
            var start: UInt64?
            for box in asset.boxes where box.offset >= firstMoof.offset {
                if box.type == "moof" {
                    if let s = start { chunks.append(s..<box.offset) }
                    start = box.offset
                }
            }
            if let s = start { chunks.append(s..<asset.source.length) }
            guard chunks.count == map.count, proofs.count == map.count else { return false }
            for (index, chunk) in chunks.enumerated() {
                let leaf = try base.clipped(to: chunk).hash(asset.source, algorithm: algorithm)
                guard check(map, algorithm: algorithm, leaf: leaf, location: proofs[index].location, proof: proofs[index].hashes) else { return false }
            }
        }
        return true
    }

    /// Init segment plus separate fragment files (each fragment file one leaf).
    static func verifyFragmentFiles(_ assertion: BMFFHashAssertion, maps: [BMFFMerkleMap], asset: Asset) throws -> Bool {
        guard assertion.hash == nil else { return false }
        var checkedInit = Set<[UInt8]>()
        for url in asset.fragments {
            let source = try FileByteSource(url: url)
            let boxes = try BMFFParser.parse(source)
            let proofs = try BMFFMerkleProof.all(in: boxes, source: source)
            guard !proofs.isEmpty else { return false }
            for proof in proofs {
                guard let map = maps.first(where: { $0.uniqueId == proof.uniqueId && $0.localId == proof.localId }),
                      let algorithm = HashAlgorithm(rawValue: map.alg ?? assertion.alg ?? "sha256") else { return false }
                guard let initHash = map.initHash else { continue }
                if !checkedInit.contains(initHash) {
                    let plan = try BMFFHashPlan(exclusions: assertion.exclusions, version: assertion.version, boxes: asset.boxes,
                                                fileLength: asset.source.length) { try asset.source.read(at: $0, count: $1) }
                    guard try plan.hash(asset.source, algorithm: algorithm) == initHash else { return false }
                    checkedInit.insert(initHash)
                }
                let plan = try BMFFHashPlan(exclusions: assertion.exclusions, version: assertion.version, boxes: boxes,
                                            fileLength: source.length) { try source.read(at: $0, count: $1) }
                let leaf = try plan.hash(source, algorithm: algorithm)
                guard check(map, algorithm: algorithm, leaf: leaf, location: proof.location, proof: proof.hashes) else { return false }
            }
        }
        return true
    }

    /// Most leaves hashed for one tree (c2pa-rs caps leaf memory at 32 MiB).
    static let maxLeaves = 1 << 20

    /// Merkle trees over blocks of each `mdat` payload (the first 16 bytes of the box are not
    /// part of any block), with proofs from auxiliary `merkle` uuid boxes or none.
    static func verifyMdatBlocks(_ assertion: BMFFHashAssertion, maps: [BMFFMerkleMap], asset: Asset) throws -> Bool {
        let mdats = asset.boxes.filter { $0.type == "mdat" }
        guard mdats.count == maps.count else { return false }
        let proofs = try BMFFMerkleProof.all(in: asset.boxes, source: asset.source)
        var proofCursor = 0
        for (mdat, map) in zip(mdats, maps) {
            guard let algorithm = HashAlgorithm(rawValue: map.alg ?? assertion.alg ?? "sha256") else { return false }
            let payload = (mdat.offset + min(16, mdat.size))..<mdat.end
            var sizes: [UInt64] = []
            let length = UInt64(payload.count)
            if let fixed = map.fixedBlockSize {
                guard fixed > 1 else { return false }
                // Rounded up without `length + fixed - 1`, which overflows for a hostile block size.
                let count = length / fixed + (length % fixed == 0 ? 0 : 1)
                guard count <= UInt64(maxLeaves) else { throw C2PAError(.limit, "more than \(maxLeaves) Merkle leaves") }
                sizes = (0..<count).map { min(fixed, length - $0 * fixed) }
            } else if let variable = map.variableBlockSizes {
                guard variable.count <= maxLeaves else { throw C2PAError(.limit, "more than \(maxLeaves) Merkle leaves") }
                guard let total = Self.checkedSum(variable) else {
                    throw C2PAError(.manifest, "the Merkle variableBlockSizes add up to more than 2^64 bytes")
                }
                guard total == length else { return false }
                sizes = variable
            }
            guard sizes.count == map.count else { return false }
            let leaves = try leafHashes(asset.source, range: payload, sizes: sizes, algorithm: algorithm)
            // Every block must have been hashed: otherwise the loops below would check fewer
            // leaves than the map has (none at all for an empty mdat) and pass.
            guard leaves.count == sizes.count else { return false }
            if proofs.isEmpty {
                if map.hashes.count == 1 && map.count > 1 {
                    guard root(leaves, algorithm: algorithm) == map.hashes[0] else { return false }
                } else {
                    for (index, leaf) in leaves.enumerated() where !check(map, algorithm: algorithm, leaf: leaf, location: index, proof: nil) {
                        return false
                    }
                }
            } else {
                guard proofCursor + map.count <= proofs.count else { return false }
                for (index, leaf) in leaves.enumerated() {
                    let proof = proofs[proofCursor + index]
                    guard check(map, algorithm: algorithm, leaf: leaf, location: proof.location, proof: proof.hashes) else { return false }
                }
                proofCursor += map.count
            }
        }
        return true
    }

    /// The sum of `sizes`, or nil when it does not fit in 64 bits.
    static func checkedSum(_ sizes: [UInt64]) -> UInt64? {
        var total: UInt64 = 0
        for size in sizes {
            let (sum, overflow) = total.addingReportingOverflow(size)
            if overflow { return nil }
            total = sum
        }
        return total
    }

    /// Hashes consecutive blocks of `range`, reading it once.
    static func leafHashes(_ source: FileByteSource, range: Range<UInt64>, sizes: [UInt64], algorithm: HashAlgorithm) throws -> [[UInt8]] {
        var leaves: [[UInt8]] = []
        leaves.reserveCapacity(sizes.count)
        var index = 0
        var left = sizes.first ?? 0
        var hasher = DigestHasher(algorithm)
        try source.stream(range) { _, chunk in
            try chunk.withUnsafeBytes { buffer in
                var offset = 0
                while offset < buffer.count {
                    guard index < sizes.count else { throw C2PAError(.bmff, "block sizes do not cover the mdat") }
                    let n = Int(min(UInt64(buffer.count - offset), left))
                    hasher.update(UnsafeRawBufferPointer(rebasing: buffer[offset..<(offset + n)]))
                    offset += n
                    left -= UInt64(n)
                    if left == 0 {
                        leaves.append(hasher.finalize())
                        index += 1
                        hasher = DigestHasher(algorithm)
                        left = index < sizes.count ? sizes[index] : 0
                    }
                }
            }
        }
        return leaves
    }

    /// The root of the tree over `leaves` (pairs hashed as H(left || right), an odd last node promoted).
    static func root(_ leaves: [[UInt8]], algorithm: HashAlgorithm) -> [UInt8]? {
        var row = leaves
        guard !row.isEmpty else { return nil }
        while row.count > 1 {
            var next: [[UInt8]] = []
            next.reserveCapacity((row.count + 1) / 2)
            var i = 0
            while i < row.count {
                next.append(i + 1 < row.count ? algorithm.hash(row[i] + row[i + 1]) : row[i])
                i += 2
            }
            row = next
        }
        return row[0]
    }

    /// Sizes of the tree's rows, leaves first; an odd last node is promoted.
    static func layout(leaves: Int) -> [Int] {
        var layers = [leaves]
        var current = leaves
        while current > 1 {
            current = (current + 1) / 2
            layers.append(current)
        }
        return layers
    }

    /// Replays a proof from `leaf` at `location` up to the stored row of `map.hashes`.
    static func check(_ map: BMFFMerkleMap, algorithm: HashAlgorithm, leaf: [UInt8], location: Int, proof: [[UInt8]]?) -> Bool {
        guard location >= 0, location < map.count else { return false }
        var index = location
        var hash = leaf
        var used = 0
        for layer in layout(leaves: map.count) {
            if layer == map.hashes.count { break }
            if let proof {
                if index % 2 == 1 {
                    if index - 1 < layer {
                        guard used < proof.count else { return false }
                        hash = algorithm.hash(proof[used] + hash)
                        used += 1
                    }
                } else if index + 1 < layer {
                    guard used < proof.count else { return false }
                    hash = algorithm.hash(hash + proof[used])
                    used += 1
                }
            }
            index /= 2
        }
        return index < map.hashes.count && map.hashes[index] == hash
    }
}
