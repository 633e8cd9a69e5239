#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A deterministic, keyed pseudo-random stream: the ChaCha20 keystream (RFC 8439, 20 rounds).
///
/// The same `(key, domain)` always yields the same stream, on every platform.
///
/// **Domain separation.** The 96-bit RFC 8439 nonce is derived from the domain string as
/// `[utf8.count, low32(fnv), high32(fnv)]`, where `fnv` is FNV-1a-64 over the domain's UTF-8 bytes.
/// Distinct domains therefore select distinct ChaCha20 nonces under the same key, which gives
/// computationally independent streams. The block counter starts at 0.
///
/// **Stream layout.** `next()` returns two consecutive little-endian keystream words
/// (first word in the low half). `nextSign()` draws single bits from a 64-bit reservoir
/// filled by `next()`, lowest bit first; `nextUnit()` uses the top 53 bits of one `next()`.
public struct KeyedRandom: RandomNumberGenerator, Sendable {
    private let keyWords: [UInt32]
    private let nonceWords: (UInt32, UInt32, UInt32)
    private var counter: UInt32 = 0
    private var block: [UInt32] = Array(repeating: 0, count: 16)
    /// Index of the next unused word in `block`; 16 means the block is exhausted.
    private var wordIndex = 16
    private var signBits: UInt64 = 0
    private var signBitsLeft = 0

    /// - Parameters:
    ///   - key: 32 secret bytes.
    ///   - domain: a label separating independent streams, e.g. `"tile.sync"`.
    public init(key: [UInt8], domain: String) {
        precondition(key.count == 32, "KeyedRandom needs a 32-byte key, got \(key.count)")
        keyWords = Self.littleEndianWords(key)
        let bytes = Array(domain.utf8)
        let hash = Self.fnv1a64(bytes)
        nonceWords = (UInt32(truncatingIfNeeded: bytes.count),
                      UInt32(truncatingIfNeeded: hash),
                      UInt32(truncatingIfNeeded: hash >> 32))
    }

    public mutating func next() -> UInt64 {
        let low = UInt64(nextWord())
        let high = UInt64(nextWord())
        return low | (high << 32)
    }

    /// +1 or -1, each with probability 1/2 (one keystream bit per call).
    public mutating func nextSign() -> Float {
        if signBitsLeft == 0 {
            signBits = next()
            signBitsLeft = 64
        }
        let bit = signBits & 1
        signBits >>= 1
        signBitsLeft -= 1
        return bit == 0 ? -1 : 1
    }

    /// Uniform in [0, 1) with 53 bits of resolution.
    public mutating func nextUnit() -> Double {
        Double(next() >> 11) * 0x1p-53
    }

    /// A standard normal deviate (Box–Muller; uses two `nextUnit()` draws per call).
    public mutating func nextGaussian() -> Double {
        let u1 = 1.0 - nextUnit()  // (0, 1], safe for log
        let u2 = nextUnit()
        return (-2.0 * log(u1)).squareRoot() * cos(2.0 * Double.pi * u2)
    }

    private mutating func nextWord() -> UInt32 {
        if wordIndex == 16 { refill() }
        let word = block[wordIndex]
        wordIndex += 1
        return word
    }

    private mutating func refill() {
        precondition(counter != UInt32.max, "KeyedRandom exhausted its 2^32-block keystream")
        let keyWords = self.keyWords
        let nonce = nonceWords
        let counter = self.counter
        block.withUnsafeMutableBufferPointer { out in
            keyWords.withUnsafeBufferPointer { key in
                Self.chachaBlock(key: key, counter: counter, nonce: nonce, into: out)
            }
        }
        self.counter += 1
        wordIndex = 0
    }

    // MARK: - ChaCha20 block function

    /// The RFC 8439 §2.3 block function on byte inputs (for tests): 32-byte key, 12-byte nonce.
    /// Returns the 16 output words (serialize little-endian for the keystream bytes).
    static func chachaBlock(key: [UInt8], counter: UInt32, nonce: [UInt8]) -> [UInt32] {
        precondition(key.count == 32 && nonce.count == 12)
        let keyWords = littleEndianWords(key)
        let n = littleEndianWords(nonce)
        var out = [UInt32](repeating: 0, count: 16)
        out.withUnsafeMutableBufferPointer { outBuffer in
            keyWords.withUnsafeBufferPointer { keyBuffer in
                chachaBlock(key: keyBuffer, counter: counter, nonce: (n[0], n[1], n[2]), into: outBuffer)
            }
        }
        return out
    }

    @inline(__always)
    private static func quarterRound(_ a: inout UInt32, _ b: inout UInt32, _ c: inout UInt32, _ d: inout UInt32) {
        a &+= b; d ^= a; d = (d << 16) | (d >> 16)
        c &+= d; b ^= c; b = (b << 12) | (b >> 20)
        a &+= b; d ^= a; d = (d << 8) | (d >> 24)
        c &+= d; b ^= c; b = (b << 7) | (b >> 25)
    }

    private static func chachaBlock(
        key k: UnsafeBufferPointer<UInt32>, counter: UInt32,
        nonce: (UInt32, UInt32, UInt32), into out: UnsafeMutableBufferPointer<UInt32>
    ) {
        let s0: UInt32 = 0x6170_7865, s1: UInt32 = 0x3320_646e, s2: UInt32 = 0x7962_2d32, s3: UInt32 = 0x6b20_6574
        var x0 = s0, x1 = s1, x2 = s2, x3 = s3
        var x4 = k[0], x5 = k[1], x6 = k[2], x7 = k[3]
        var x8 = k[4], x9 = k[5], x10 = k[6], x11 = k[7]
        var x12 = counter, x13 = nonce.0, x14 = nonce.1, x15 = nonce.2
        for _ in 0..<10 {
            quarterRound(&x0, &x4, &x8, &x12)
            quarterRound(&x1, &x5, &x9, &x13)
            quarterRound(&x2, &x6, &x10, &x14)
            quarterRound(&x3, &x7, &x11, &x15)
            quarterRound(&x0, &x5, &x10, &x15)
            quarterRound(&x1, &x6, &x11, &x12)
            quarterRound(&x2, &x7, &x8, &x13)
            quarterRound(&x3, &x4, &x9, &x14)
        }
        out[0] = x0 &+ s0; out[1] = x1 &+ s1; out[2] = x2 &+ s2; out[3] = x3 &+ s3
        out[4] = x4 &+ k[0]; out[5] = x5 &+ k[1]; out[6] = x6 &+ k[2]; out[7] = x7 &+ k[3]
        out[8] = x8 &+ k[4]; out[9] = x9 &+ k[5]; out[10] = x10 &+ k[6]; out[11] = x11 &+ k[7]
        out[12] = x12 &+ counter; out[13] = x13 &+ nonce.0; out[14] = x14 &+ nonce.1; out[15] = x15 &+ nonce.2
    }

    // MARK: - Helpers

    private static func littleEndianWords(_ bytes: [UInt8]) -> [UInt32] {
        stride(from: 0, to: bytes.count, by: 4).map { (i: Int) -> UInt32 in
            var word: UInt32 = 0
            for j in 0..<4 { word |= UInt32(bytes[i + j]) << UInt32(8 * j) }
            return word
        }
    }

    static func fnv1a64(_ bytes: [UInt8]) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        return hash
    }
}
