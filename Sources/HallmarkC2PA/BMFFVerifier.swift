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
            throw C2PAError(.unsupported, "Merkle hashes over mdat blocks or track chunks are not supported yet")
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
