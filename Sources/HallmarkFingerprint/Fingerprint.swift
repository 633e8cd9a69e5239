/// A clip's content fingerprint: one `PerceptualHash` every `step` seconds of presentation time,
/// from the clip's first frame. Sampling by time rather than by frame index is what makes a
/// copy at another frame rate line up with its source.
public struct Fingerprint: Sendable, Equatable {
    /// Seconds between samples.
    public static let step = 0.125

    public var hashes: [PerceptualHash]
    /// The same samples hashed above the caption band (`PerceptualHasher.captionBand`), for
    /// references and suspects alike; empty in fingerprints stored before it existed (version 1, 2).
    public var aboveCaptions: [PerceptualHash]
    /// A suspect's hashes under each of `PerceptualHasher.cropHypotheses` (same times as
    /// `hashes`); empty for a reference, which is stored and matched uncropped.
    public var cropped: [[PerceptualHash]]

    /// A small picture every `thumbnailEvery` samples (one a second), for reports; may be empty.
    public var thumbnails: [FrameThumbnail]

    public init(hashes: [PerceptualHash], aboveCaptions: [PerceptualHash] = [], cropped: [[PerceptualHash]] = [],
                thumbnails: [FrameThumbnail] = []) {
        self.hashes = hashes
        self.aboveCaptions = aboveCaptions
        self.cropped = cropped
        self.thumbnails = thumbnails
    }

    public static let thumbnailEvery = 8
    public static let thumbnailWidth = 64

    /// The thumbnail nearest to sample `index`, if any.
    public func thumbnail(near index: Int) -> FrameThumbnail? {
        thumbnails.min { abs($0.sample - index) < abs($1.sample - index) }
    }

    /// One way of reading the suspect against a reference: a crop of the source, or the picture
    /// above the caption band compared with the reference's `aboveCaptions`.
    public struct Hypothesis: Sendable {
        public var hashes: [PerceptualHash]
        /// Fraction of each side of the source the suspect is taken to show (1: not cropped).
        public var crop: Double
        public var aboveCaptions: Bool
    }

    /// The suspect's hash sequences to try: as it is first.
    public var hypotheses: [Hypothesis] {
        var all = [Hypothesis(hashes: hashes, crop: 1, aboveCaptions: false)]
        for (k, sequence) in cropped.enumerated() where k < PerceptualHasher.cropHypotheses.count {
            all.append(Hypothesis(hashes: sequence, crop: PerceptualHasher.cropHypotheses[k], aboveCaptions: false))
        }
        if hasCaptionHashes { all.append(Hypothesis(hashes: aboveCaptions, crop: 1, aboveCaptions: true)) }
        return all
    }

    /// Whether every sample also has its hash above the caption band.
    public var hasCaptionHashes: Bool { !hashes.isEmpty && aboveCaptions.count == hashes.count }

    /// The reference sequence a hypothesis is compared with (nil: this fingerprint lacks it).
    public func sequence(for hypothesis: Hypothesis) -> [PerceptualHash]? {
        hypothesis.aboveCaptions ? (hasCaptionHashes ? aboveCaptions : nil) : hashes
    }

    /// Samples `range` of the sequence (every hypothesis).
    public func excerpt(_ range: Range<Int>) -> Fingerprint {
        Fingerprint(hashes: Array(hashes[range]), aboveCaptions: hasCaptionHashes ? Array(aboveCaptions[range]) : [],
                    cropped: cropped.map { Array($0[range]) },
                    thumbnails: thumbnails.filter { range.contains($0.sample) }.map { var t = $0; t.sample -= range.lowerBound; return t })
    }

    public var duration: Double { Double(hashes.count) * Self.step }

    /// Compact bytes (the crop hypotheses are not stored: a reference is matched uncropped).
    /// Version 1: a version byte, then 9 bytes per sample (64 bits little-endian, a flag byte).
    /// Version 2 (with thumbnails): 2, the sample count (UInt32 LE), the samples as in version 1,
    /// then per thumbnail its sample index (UInt32 LE), width and height (one byte each) and pixels.
    /// Version 3 (with the hashes above the caption band): as version 2, with the samples above
    /// the caption band (as many, 9 bytes each) between the samples and the thumbnails.
    public func encoded() -> [UInt8] {
        let version: UInt8 = hasCaptionHashes ? 3 : thumbnails.isEmpty ? 1 : 2
        var bytes: [UInt8] = [version]
        bytes.reserveCapacity(5 + hashes.count * 18 + thumbnails.reduce(0) { $0 + 6 + $1.pixels.count })
        if version >= 2 { Self.append32(UInt32(hashes.count), to: &bytes) }
        Self.append(hashes, to: &bytes)
        if version == 3 { Self.append(aboveCaptions, to: &bytes) }
        for thumbnail in thumbnails {
            Self.append32(UInt32(thumbnail.sample), to: &bytes)
            bytes.append(UInt8(thumbnail.width))
            bytes.append(UInt8(thumbnail.height))
            bytes.append(contentsOf: thumbnail.pixels)
        }
        return bytes
    }

    /// Reads `encoded()` bytes; nil when they are not a fingerprint of a known version.
    public init?(encoded bytes: [UInt8]) {
        guard let version = bytes.first, (1...3).contains(version) else { return nil }
        let count: Int, start: Int
        if version == 1 {
            guard (bytes.count - 1) % 9 == 0 else { return nil }
            (count, start) = ((bytes.count - 1) / 9, 1)
        } else {
            guard bytes.count >= 5 else { return nil }
            (count, start) = (Self.read32(bytes, 1), 5)
            guard count <= (bytes.count - 5) / (version == 3 ? 18 : 9) else { return nil }
        }
        var i = start
        guard let hashes = Self.readHashes(bytes, count: count, at: &i) else { return nil }
        var aboveCaptions: [PerceptualHash] = []
        if version == 3 {
            guard let read = Self.readHashes(bytes, count: count, at: &i) else { return nil }
            aboveCaptions = read
        }
        var thumbnails: [FrameThumbnail] = []
        while i < bytes.count {
            guard i + 6 <= bytes.count else { return nil }
            let sample = Self.read32(bytes, i), w = Int(bytes[i + 4]), h = Int(bytes[i + 5])
            i += 6
            guard w > 0, h > 0, i + w * h <= bytes.count else { return nil }
            thumbnails.append(FrameThumbnail(width: w, height: h, pixels: Array(bytes[i..<(i + w * h)]), sample: sample))
            i += w * h
        }
        self.init(hashes: hashes, aboveCaptions: aboveCaptions, thumbnails: thumbnails)
    }

    private static func append(_ hashes: [PerceptualHash], to bytes: inout [UInt8]) {
        for hash in hashes {
            for shift in Swift.stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: hash.bits >> UInt64(shift))) }
            bytes.append(hash.informative ? 1 : 0)
        }
    }

    /// `count` samples of 9 bytes from `i` on (advancing it); nil when they do not fit or a flag is bad.
    private static func readHashes(_ bytes: [UInt8], count: Int, at i: inout Int) -> [PerceptualHash]? {
        guard count <= (bytes.count - i) / 9 else { return nil }
        var hashes: [PerceptualHash] = []
        hashes.reserveCapacity(count)
        for _ in 0..<count {
            var bits: UInt64 = 0
            for k in 0..<8 { bits |= UInt64(bytes[i + k]) << UInt64(8 * k) }
            guard bytes[i + 8] <= 1 else { return nil }
            hashes.append(PerceptualHash(bits: bits, informative: bytes[i + 8] == 1))
            i += 9
        }
        return hashes
    }

    private static func append32(_ value: UInt32, to bytes: inout [UInt8]) {
        for k in 0..<4 { bytes.append(UInt8(truncatingIfNeeded: value >> UInt32(8 * k))) }
    }

    private static func read32(_ bytes: [UInt8], _ i: Int) -> Int {
        (0..<4).reduce(0) { $0 | Int(bytes[i + $1]) << (8 * $1) }
    }
}

/// Builds a `Fingerprint` from frames as they are decoded: a frame is hashed when its time
/// reaches the next sample time (the first frame at or after each multiple of `Fingerprint.step`
/// from the first frame), so only about eight frames a second are looked at.
public final class FingerprintBuilder {
    private let hasher = PerceptualHasher()
    private var hashes: [PerceptualHash] = []
    private var aboveCaptions: [PerceptualHash] = []
    private var cropped: [[PerceptualHash]]
    private var thumbnails: [FrameThumbnail] = []
    private let crops: [Double]
    private var start: Double?
    /// Bounds the fingerprint of a very long input (a day at eight samples a second).
    public static let maximumSamples = 8 * 86_400

    /// `suspect`: also hash every crop hypothesis (what verify needs; a stamp does not).
    public init(suspect: Bool = false) {
        crops = [1] + (suspect ? PerceptualHasher.cropHypotheses : [])
        cropped = Array(repeating: [], count: crops.count - 1)
    }

    /// Whether the frame shown at `time` is due to be sampled (call `add` with it if so).
    public func wants(time: Double) -> Bool {
        guard hashes.count < Self.maximumSamples else { return false }
        guard let start else { return true }
        return time - start >= Double(hashes.count) * Fingerprint.step - 1e-6
    }

    /// Hashes the frame if it is due. Frames must come in presentation order.
    public func add(luma: UnsafePointer<UInt8>, stride: Int, width: Int, height: Int, time: Double) {
        guard time.isFinite, wants(time: time) else { return }
        if start == nil { start = time }
        let grid = hasher.grid(luma: luma, stride: stride, width: width, height: height)
        let unhashable = PerceptualHash(bits: 0, informative: false)
        let all = crops.map { crop in grid.map { hasher.hash($0, crop: crop) } ?? unhashable }
        let above = grid.map { hasher.hash($0, crop: 1, aboveCaptions: true) } ?? unhashable
        if hashes.count % Fingerprint.thumbnailEvery == 0, let grid {
            var thumbnail = hasher.thumbnail(of: grid, width: Fingerprint.thumbnailWidth, frameWidth: width, frameHeight: height)
            thumbnail.sample = hashes.count
            thumbnails.append(thumbnail)
        }
        // A gap in the timestamps (dropped frames): the frame stands for every sample it covers.
        while wants(time: time) && hashes.count < Self.maximumSamples {
            hashes.append(all[0])
            aboveCaptions.append(above)
            for k in cropped.indices { cropped[k].append(all[k + 1]) }
            if hashes.count == 1 { break }
        }
    }

    public func finish() -> Fingerprint {
        Fingerprint(hashes: hashes, aboveCaptions: aboveCaptions, cropped: cropped, thumbnails: thumbnails)
    }
}

/// A small grey picture of one sampled frame (row-major, one byte a pixel).
public struct FrameThumbnail: Sendable, Equatable {
    public var width: Int
    public var height: Int
    public var pixels: [UInt8]
    /// The fingerprint sample it was taken at.
    public var sample: Int = 0

    public init(width: Int, height: Int, pixels: [UInt8], sample: Int = 0) {
        self.width = width
        self.height = height
        self.pixels = pixels
        self.sample = sample
    }
}
