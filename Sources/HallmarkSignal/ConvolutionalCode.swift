/// Rate-1/3, constraint-length-7 convolutional code with generators 133, 145, 175 (octal),
/// zero-terminated with 6 tail bits, and a soft-decision Viterbi decoder.
///
/// Register convention: the 7-bit register holds the current input in its most significant bit
/// and the oldest input in bit 0; output `i` is the parity of `register & generator[i]`.
/// Per input bit the three outputs are emitted in generator order (133, 145, 175).
public struct ConvolutionalCode: Sendable {
    public static let constraintLength = 7
    public static let tailBits = 6
    public static let rate = 3
    public static let generators: [UInt8] = [0o133, 0o145, 0o175]

    private static let stateCount = 64

    /// `outputPattern[register]` = the three coded bits (bit 2 = generator 0) for a 7-bit register.
    private let outputPattern: [UInt8]

    public init() {
        outputPattern = (0..<128).map { register in
            var pattern: UInt8 = 0
            for generator in Self.generators {
                pattern = (pattern << 1) | UInt8((register & Int(generator)).nonzeroBitCount & 1)
            }
            return pattern
        }
    }

    /// Number of coded bits for `informationBits` input bits: 3 × (informationBits + 6).
    public static func codedLength(informationBits: Int) -> Int {
        rate * (informationBits + tailBits)
    }

    /// Encodes 0/1 bits; returns 3 × (bits.count + 6) coded bits (0/1).
    public func encode(_ bits: [UInt8]) -> [UInt8] {
        var coded = [UInt8]()
        coded.reserveCapacity(Self.codedLength(informationBits: bits.count))
        var state = 0  // the previous six inputs, most recent in bit 5
        for bit in bits + [UInt8](repeating: 0, count: Self.tailBits) {
            precondition(bit <= 1, "ConvolutionalCode.encode expects 0/1 elements")
            let register = (Int(bit) << 6) | state
            let pattern = outputPattern[register]
            coded.append((pattern >> 2) & 1)
            coded.append((pattern >> 1) & 1)
            coded.append(pattern & 1)
            state = register >> 1
        }
        return coded
    }

    /// Soft-decision Viterbi decoding.
    ///
    /// - Parameters:
    ///   - soft: 3 × (informationBits + 6) values; > 0 means coded bit 1 is likely, < 0 means 0,
    ///     the magnitude is the confidence (LLR-like, any scale). 0 marks an erasure.
    ///   - informationBits: number of bits to return (the tail is dropped).
    public func decode(soft: [Float], informationBits: Int) -> [UInt8] {
        let steps = informationBits + Self.tailBits
        precondition(informationBits >= 0 && soft.count == Self.rate * steps,
                     "decode expects \(Self.rate * max(steps, 0)) soft values, got \(soft.count)")
        // decisions[t] bit s = which predecessor (low bit of the previous state) survived into state s.
        var decisions = [UInt64](repeating: 0, count: steps)
        var metrics = [Float](repeating: -1e30, count: 2 * Self.stateCount)  // current | next

        soft.withUnsafeBufferPointer { soft in
            outputPattern.withUnsafeBufferPointer { pattern in
                decisions.withUnsafeMutableBufferPointer { decisions in
                    metrics.withUnsafeMutableBufferPointer { metrics in
                        var current = metrics.baseAddress!
                        var next = current + Self.stateCount
                        current[0] = 0  // the encoder starts in state 0
                        // branchMetric[p] = correlation of soft values with coded pattern p (3 bits).
                        var branchMetric = (Float(0), Float(0), Float(0), Float(0),
                                            Float(0), Float(0), Float(0), Float(0))
                        for t in 0..<steps {
                            let a = soft[3 * t], b = soft[3 * t + 1], c = soft[3 * t + 2]
                            branchMetric = (-a - b - c, -a - b + c, -a + b - c, -a + b + c,
                                            a - b - c, a - b + c, a + b - c, a + b + c)
                            var decisionWord: UInt64 = 0
                            var best: Float = -.infinity
                            withUnsafeBytes(of: &branchMetric) { raw in
                                let bm = raw.baseAddress!.assumingMemoryBound(to: Float.self)
                                // Next state ns = (input << 5) | (s >> 1); its register is ns*2 + x where
                                // x ∈ {0, 1} is the dropped bit, and the predecessor is (ns & 31)*2 + x.
                                for ns in 0..<Self.stateCount {
                                    let predecessor = (ns & 31) << 1
                                    let register = ns << 1
                                    let m0 = current[predecessor] + bm[Int(pattern[register])]
                                    let m1 = current[predecessor + 1] + bm[Int(pattern[register + 1])]
                                    let takeOne = m1 > m0
                                    let survivor = takeOne ? m1 : m0
                                    next[ns] = survivor
                                    decisionWord |= (takeOne ? 1 : 0) << UInt64(ns)
                                    best = max(best, survivor)
                                }
                            }
                            decisions[t] = decisionWord
                            // Keep metrics near zero so Float precision does not degrade on long inputs.
                            for s in 0..<Self.stateCount { next[s] -= best }
                            swap(&current, &next)
                        }
                    }
                }
            }
        }

        // Trace back from state 0 (zero-terminated); the input at step t is bit 5 of the state it enters.
        var decoded = [UInt8](repeating: 0, count: steps)
        var state = 0
        for t in stride(from: steps - 1, through: 0, by: -1) {
            decoded[t] = UInt8(state >> 5)
            let x = Int((decisions[t] >> UInt64(state)) & 1)
            state = ((state & 31) << 1) | x
        }
        return Array(decoded[0..<informationBits])
    }

    /// List Viterbi decoding (the parallel list algorithm): the `listSize` most likely inputs,
    /// best first, each different. A decoder with a CRC tries them in order; the chance that a
    /// wrong one passes grows with the list, so callers count the rank they accepted.
    public func decodeList(soft: [Float], informationBits: Int, listSize: Int) -> [[UInt8]] {
        let steps = informationBits + Self.tailBits, states = Self.stateCount, list = max(1, listSize)
        precondition(informationBits >= 0 && soft.count == Self.rate * steps,
                     "decodeList expects \(Self.rate * max(steps, 0)) soft values, got \(soft.count)")
        // metric[state * list + rank], best first per state; back[t][state * list + rank] =
        // (dropped bit << 8) | rank of the predecessor path.
        var current = [Float](repeating: -.infinity, count: states * list)
        var next = current
        var back = [[UInt16]](repeating: [UInt16](repeating: 0, count: states * list), count: steps)
        current[0] = 0
        for t in 0..<steps {
            let a = soft[3 * t], b = soft[3 * t + 1], c = soft[3 * t + 2]
            let branch: [Float] = [-a - b - c, -a - b + c, -a + b - c, -a + b + c, a - b - c, a - b + c, a + b - c, a + b + c]
            for ns in 0..<states {
                let predecessor = (ns & 31) << 1, register = ns << 1
                let bm0 = branch[Int(outputPattern[register])], bm1 = branch[Int(outputPattern[register + 1])]
                // Merge the two predecessors' sorted lists.
                var i = 0, j = 0
                for rank in 0..<list {
                    let m0 = i < list ? current[predecessor * list + i] + bm0 : -.infinity
                    let m1 = j < list ? current[(predecessor + 1) * list + j] + bm1 : -.infinity
                    if m1 > m0 {
                        next[ns * list + rank] = m1
                        back[t][ns * list + rank] = UInt16(1 << 8 | j)
                        j += 1
                    } else {
                        next[ns * list + rank] = m0
                        back[t][ns * list + rank] = UInt16(i)
                        i += 1
                    }
                }
            }
            let best = next.max() ?? 0
            if best.isFinite { for k in next.indices { next[k] -= best } }
            swap(&current, &next)
        }
        var results: [[UInt8]] = []
        for rank in 0..<list where current[rank].isFinite {
            var decoded = [UInt8](repeating: 0, count: steps)
            var state = 0, r = rank
            for t in stride(from: steps - 1, through: 0, by: -1) {
                decoded[t] = UInt8(state >> 5)
                let entry = back[t][state * list + r]
                state = ((state & 31) << 1) | Int(entry >> 8)
                r = Int(entry & 0xFF)
            }
            results.append(Array(decoded[0..<informationBits]))
        }
        return results
    }
}
