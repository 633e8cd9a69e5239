import Foundation
import HallmarkMedia

/// Stamps frames a program pushes, for a generator that has frames rather than a file: the same
/// marks, encode, manifest and registry record as `Stamper.stamp`, with the frames as the input.
///
///     let format = try RawVideoFormat(width: 640, height: 360, pixelFormat: "yuv420p", frameRate: FrameRate(24))
///     let session = try StampSession(stamper: stamper, output: url, account: "acct-7", format: format)
///     for (i, frame) in frames.enumerated() { try await session.append(frame: frame, at: Double(i) / 24) }
///     let result = try await session.finish()
///
/// Each frame is `format.frameByteCount` bytes in raw-video layout (planes one after the other,
/// rows without padding). `append` returns once the frame is in the encoder, so a producer never
/// runs ahead of the encode by more than the encoder's own lookahead. The recorded input hash is
/// the SHA-256 of the appended bytes, in order (see `FrameHash`).
///
/// Nothing appears at `output` and nothing is registered until `finish` succeeds. A session that
/// fails, is cancelled or is dropped unfinished removes its temporary files and leaves no record.
public actor StampSession {
    public nonisolated let format: RawVideoFormat
    private let stamper: Stamper
    private var state: State

    private enum State {
        case open(OpenSession)
        /// Finished, cancelled or failed: nothing more can be appended.
        case closed
    }

    /// What an open session holds: the job (temporary files, mark id) and the encode into it.
    private final class OpenSession {
        let job: StampJob
        let marking: Marking
        let encoder: FrameEncoder
        let hash = FrameHash()

        init(job: StampJob, marking: Marking, encoder: FrameEncoder) {
            self.job = job
            self.marking = marking
            self.encoder = encoder
        }
    }

    /// Settles the account, signing identity, temporary output and mark id, as `Stamper.stamp`
    /// does before reading a file (the parameters mean what `StampRequest`'s do).
    public init(stamper: Stamper, output: URL, account: String, format: RawVideoFormat, label: String? = nil,
                visibleMark: VisibleMark = VisibleMark(content: .text(VisibleMark.defaultText)),
                encoder: EncoderSettings = .h264(), strength: Float = 1,
                signing: SigningChoice = .development, generator: Generator = .hallmark, model: String? = nil,
                sourceId: String? = nil) throws {
        let request = StampRequest(input: URL(fileURLWithPath: "-"), output: output, account: account, label: label,
                                   visibleMark: visibleMark, encoder: encoder, strength: strength, signing: signing,
                                   generator: generator, model: model, sourceId: sourceId)
        let job = try stamper.prepare(request, input: nil)
        let marking = job.marking(key: stamper.key, width: format.width, height: format.height)
        let frameEncoder: FrameEncoder
        do {
            frameEncoder = try FrameEncoder(output: job.encoded.temporary, format: format, filter: marking.filter,
                                            encoder: encoder, process: marking.embed)
        } catch let error as MediaError {
            throw error.asHallmarkError
        }
        self.format = format
        self.stamper = stamper
        self.state = .open(OpenSession(job: job, marking: marking, encoder: frameEncoder))
    }

    /// Marks and encodes one frame shown at `time` seconds from the start (times must increase);
    /// nil: the next frame at the format's rate. A frame of the wrong size, or a time out of
    /// order, fails the session (nothing is written).
    public func append(frame: Data, at time: Double? = nil) async throws {
        try frame.withUnsafeBytes { try append($0, at: time) }
    }

    /// `append(frame:at:)` for a byte array.
    public func append(frame: [UInt8], at time: Double? = nil) async throws {
        try frame.withUnsafeBytes { try append($0, at: time) }
    }

    private func append(_ bytes: UnsafeRawBufferPointer, at time: Double?) throws {
        guard case .open(let session) = state else { throw Self.closedError }
        let rate = format.frameRate
        let time = time ?? Double(session.hash.frames) * Double(rate.denominator) / Double(rate.numerator)
        do {
            try session.encoder.append(bytes, at: time)
        } catch {
            state = .closed
            throw (error as? MediaError)?.asHallmarkError ?? error
        }
        session.hash.add(packed: bytes)
    }

    /// Finishes the encode, embeds and signs the manifest, writes the registry record and moves
    /// the output into place (record pending first, then delivered, as `Stamper.stamp` does).
    public func finish() async throws -> StampResult {
        guard case .open(let session) = state else { throw Self.closedError }
        state = .closed
        do {
            try session.encoder.finish()
        } catch let error as MediaError {
            throw error.asHallmarkError
        }
        session.marking.reportTiming(framesEncoded: session.encoder.framesEncoded)
        return try stamper.complete(session.job, framesEncoded: session.encoder.framesEncoded, warnings: [],
                                    inputHash: session.hash.finalize())
    }

    /// Abandons the stamp: the temporary files go now, nothing is registered.
    public func cancel() {
        state = .closed
    }

    private static let closedError = HallmarkError(.invalidInput, "the stamp session is finished or cancelled")
}
