import ArgumentParser
import Foundation
import Hallmark
import HallmarkFingerprint
import HallmarkRegistry
#if canImport(Glibc)
import Glibc
#endif

/// `hallmark bench search`: reverse-search lookup time on a large synthetic index.
struct SearchBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Time reverse-search lookups on an index of synthetic 10 s fingerprints (SQLite, or PostgreSQL with --postgres).",
        discussion: """
            Fills a fresh registry with --clips synthetic source fingerprints of 10 s (random 64-bit hashes, \
            eight a second, indexed as stamp indexes them), then runs --queries lookups of 3 s excerpts of \
            random indexed clips with --bit-errors of their 64 bits flipped per sample (a transformed copy), \
            each the way `verify` searches (vote in the index, then exact alignment). Prints the build time, \
            per-query time (median, min-max), how many were found at the right offset, and peak RSS.
            """)

    @Option(help: "Indexed clips.") var clips: Int = 100_000
    @Option(help: "Lookups timed.") var queries: Int = 20
    @Option(help: "Bits flipped per query sample (of 64).") var bitErrors: Int = 6
    @Option(help: ArgumentHelp("SQLite file to build (default: a temporary file).", valueName: "path")) var sqlite: String?
    @Option(help: ArgumentHelp("PostgreSQL URL of an empty database to build in instead.", valueName: "url")) var postgres: String?

    func run() async throws {
        let registry: any MarkRegistry
        var cleanup: String? = nil
        if let postgres {
            registry = try PostgreSQLRegistry(url: postgres, create: true)
        } else {
            let path = sqlite ?? NSTemporaryDirectory() + "hallmark-bench-search-\(getpid()).sqlite"
            if sqlite == nil { cleanup = path }
            registry = try SQLiteRegistry(path: path, create: true)
        }
        defer { if let cleanup { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: cleanup + suffix) } } }

        var generator = SystemRandomNumberGenerator()
        let samplesPerClip = Int(10 / Fingerprint.step)
        let existing = try registry.fingerprintCount()
        let built = Date()
        var kept: [Int: Fingerprint] = [:]
        let keep = Set((0..<queries).map { _ in Int.random(in: 0..<clips, using: &generator) })
        var batch: [StoredFingerprint] = []
        // Runs of 4 similar samples (a shot changes slowly), like real clips.
        func syntheticSequence() -> [PerceptualHash] {
            var hashes: [PerceptualHash] = []
            var bits = UInt64.random(in: 0...UInt64.max, using: &generator)
            for s in 0..<samplesPerClip {
                if s % 4 == 0 { bits = UInt64.random(in: 0...UInt64.max, using: &generator) } else { bits ^= 1 << UInt64.random(in: 0..<64, using: &generator) }
                hashes.append(PerceptualHash(bits: bits, informative: true))
            }
            return hashes
        }
        for i in 0..<clips where existing == 0 {
            // Both sequences a stamp stores: the whole picture and above the caption band.
            let fingerprint = Fingerprint(hashes: syntheticSequence(), aboveCaptions: syntheticSequence())
            if keep.contains(i) { kept[i] = fingerprint }
            batch.append(SourceSearch.stored(fingerprint, sourceId: "synthetic-\(i)"))
            if batch.count == 2000 || i == clips - 1 {
                if let r = registry as? SQLiteRegistry { try r.storeFingerprints(batch) } else if let r = registry as? PostgreSQLRegistry { try r.storeFingerprints(batch) }
                batch.removeAll(keepingCapacity: true)
            }
        }
        if existing > 0 { print("reusing an index of \(existing) fingerprints (queries then search for absent clips)") }
        let buildSeconds = Date().timeIntervalSince(built)
        let size = try registry.fingerprintCount()
        print(String(format: "index: %d fingerprints of 10 s, built in %.1f s", size, buildSeconds))

        var times: [Double] = []
        var found = 0
        let search = SourceSearch()
        for (index, fingerprint) in kept.sorted(by: { $0.key < $1.key }) {
            let start = Int.random(in: 0...(samplesPerClip - 24), using: &generator)
            func damaged(_ hashes: [PerceptualHash]) -> [PerceptualHash] {
                hashes[start..<(start + 24)].map { hash in
                    var bits = hash.bits
                    for _ in 0..<bitErrors { bits ^= 1 << UInt64.random(in: 0..<64, using: &generator) }
                    return PerceptualHash(bits: bits, informative: true)
                }
            }
            // A suspect also carries its crop hypotheses: here pictures of nothing indexed, which
            // probe the index all the same.
            let query = Fingerprint(hashes: damaged(fingerprint.hashes), aboveCaptions: damaged(fingerprint.aboveCaptions),
                                    cropped: PerceptualHasher.cropHypotheses.map { _ in Array(syntheticSequence().prefix(24)) })
            let t0 = Date()
            let outcome = try search.search(query, in: registry)
            times.append(Date().timeIntervalSince(t0))
            if let best = outcome.matches.first, best.sourceId == "synthetic-\(index)", best.alignment.offset == start { found += 1 }
        }
        times.sort()
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        if !times.isEmpty {
            print(String(format: "query (3 s, %d bit errors per sample): median %.1f ms, min %.1f, max %.1f over %d lookups; found at the right offset %d of %d",
                         bitErrors, times[times.count / 2] * 1000, times[0] * 1000, times[times.count - 1] * 1000, times.count, found, times.count))
        }
        print("peak RSS: \(usage.ru_maxrss / 1024) MiB")
    }
}
