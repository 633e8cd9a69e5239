/// A clip's content fingerprint: one `PerceptualHash` every `step` seconds of presentation time,
/// from the clip's first frame. Sampling by time rather than by frame index is what makes a
/// copy at another frame rate line up with its source.
public struct Fingerprint: Sendable, Equatable {
    /// Seconds between samples.
    public static let step = 0.125

    public var hashes: [PerceptualHash]
    /// A suspect's hashes under each of `PerceptualHasher.cropHypotheses` (same times as
    /// `hashes`); empty for a reference, which is stored and matched uncropped.
    public var cropped: [[PerceptualHash]]

    public init(hashes: [PerceptualHash], cropped: [[PerceptualHash]] = []) {
        self.hashes = hashes
        self.cropped = cropped
    }

    /// The suspect's hash sequences to try: uncropped first.
    public var hypotheses: [[PerceptualHash]] { [hashes] + cropped }

    /// Samples `range` of the sequence (every hypothesis).
    public func excerpt(_ range: Range<Int>) -> Fingerprint {
        Fingerprint(hashes: Array(hashes[range]), cropped: cropped.map { Array($0[range]) })
    }

    public var duration: Double { Double(hashes.count) * Self.step }

    /// Format version of `encoded()`.
    static let version: UInt8 = 1

    /// Compact bytes: a version byte, then 9 bytes per sample (64 bits little-endian, a flag byte).
    public func encoded() -> [UInt8] {
        var bytes: [UInt8] = [Self.version]
        bytes.reserveCapacity(1 + hashes.count * 9)
        for hash in hashes {
            for shift in Swift.stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: hash.bits >> UInt64(shift))) }
            bytes.append(hash.informative ? 1 : 0)
        }
        return bytes
    }

    /// Reads `encoded()` bytes; nil when they are not a fingerprint of a known version.
    public init?(encoded bytes: [UInt8]) {
        guard let version = bytes.first, version == Self.version, (bytes.count - 1) % 9 == 0 else { return nil }
        var hashes: [PerceptualHash] = []
        hashes.reserveCapacity((bytes.count - 1) / 9)
        var i = 1
        while i < bytes.count {
            var bits: UInt64 = 0
            for k in 0..<8 { bits |= UInt64(bytes[i + k]) << UInt64(8 * k) }
            guard bytes[i + 8] <= 1 else { return nil }
            hashes.append(PerceptualHash(bits: bits, informative: bytes[i + 8] == 1))
            i += 9
        }
        self.hashes = hashes
        self.cropped = []
    }
}

/// Builds a `Fingerprint` from frames as they are decoded: a frame is hashed when its time
/// reaches the next sample time (the first frame at or after each multiple of `Fingerprint.step`
/// from the first frame), so only about eight frames a second are looked at.
public final class FingerprintBuilder {
    private let hasher = PerceptualHasher()
    private var hashes: [PerceptualHash] = []
    private var cropped: [[PerceptualHash]]
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
        let all = hasher.hashes(luma: luma, stride: stride, width: width, height: height, crops: crops)
        // A gap in the timestamps (dropped frames): the frame stands for every sample it covers.
        while wants(time: time) && hashes.count < Self.maximumSamples {
            hashes.append(all[0])
            for k in cropped.indices { cropped[k].append(all[k + 1]) }
            if hashes.count == 1 { break }
        }
    }

    public func finish() -> Fingerprint { Fingerprint(hashes: hashes, cropped: cropped) }
}
