import Foundation
import Hallmark
import HallmarkMedia
import Hummingbird
import Logging

/// Runs uploaded videos through the same `Verifier.analyse` as `hallmark verify`, with the
/// service's limits: admission (429 when full), upload size (413), a whole-request deadline
/// (503) and at most `jobs` verifications at once, off the request-serving threads.
struct VerificationService: Sendable {
    let verifier: Verifier
    let configuration: ServerConfiguration
    let limiter: JobLimiter
    let executor: VerifyExecutor
    let metrics: ServiceMetrics
    let uploads: URL
    let logger: Logger

    /// Receives `request`'s body and verifies it. `report.file` is "upload": the temporary
    /// file's path is the server's business.
    func verify(_ request: Request) async throws -> VerificationReport {
        guard await limiter.admit() else {
            metrics.rejected(reason: "queue-full")
            throw APIError(.tooManyRequests, "the server is busy: every verification slot and queue place is taken; retry later",
                           headers: [.retryAfter: String(configuration.retryAfterSeconds)])
        }
        do {
            let report = try await withDeadline(configuration.requestTimeout) { try await self.receiveAndVerify(request) }
            await limiter.leave()
            return report
        } catch {
            await limiter.leave()
            throw error
        }
    }

    private func receiveAndVerify(_ request: Request) async throws -> VerificationReport {
        let spool = try await UploadSpool.receive(request, limit: configuration.maxUploadBytes, directory: uploads)
        defer { spool.remove() }
        let url = spool.url
        var report: VerificationReport
        do {
            report = try await limiter.withJob { try await executor.run { try await analyse(url) } }
        } catch {
            metrics.verified(verdict: "error")
            throw error
        }
        report.file = "upload"
        metrics.verified(verdict: Self.verdict(report))
        return report
    }

    /// `verifier.analyse` with the task's cancellation (the deadline) passed on to the decoder.
    private func analyse(_ url: URL) async throws -> VerificationReport {
        let cancellation = Cancellation()
        do {
            return try await withTaskCancellationHandler {
                try await verifier.analyse(url, cancellation: cancellation).report
            } onCancel: {
                cancellation.cancel()
            }
        } catch let error as HallmarkError {
            throw Self.apiError(error, upload: url)
        } catch let error as MediaError {
            throw Self.apiError(error.asHallmarkKind, message: error.message, upload: url)
        }
    }

    /// The API's answer to a verifier error; the message names "the upload", never the
    /// server's temporary path.
    static func apiError(_ error: HallmarkError, upload: URL) -> any Error {
        apiError(error.kind, message: error.message, upload: upload)
    }

    static func apiError(_ kind: HallmarkError.Kind, message: String, upload: URL) -> any Error {
        let message = message.replacingOccurrences(of: upload.path + ": ", with: "")
            .replacingOccurrences(of: upload.path, with: "the upload")
        switch kind {
        case .invalidInput: return APIError(.unprocessableContent, "not a readable video: \(message)")
        case .cancelled: return CancellationError()
        case .cannotWrite, .configuration: return APIError(.internalServerError, "the server cannot verify: \(message)")
        }
    }

    static func verdict(_ report: VerificationReport) -> String {
        if report.trace.account != nil { return "attributed" }
        return report.watermark.detected ? "detected" : "not-detected"
    }

    /// Runs `body`, cancelling it and throwing 503 if it has not finished after `limit`.
    private func withDeadline<T: Sendable>(_ limit: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(for: limit)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let result = first else {
                throw APIError(.serviceUnavailable, "the request took longer than the server's limit of \(limit.components.seconds) s",
                               headers: [.retryAfter: String(configuration.retryAfterSeconds)])
            }
            return result
        }
    }
}

extension MediaError {
    var asHallmarkKind: HallmarkError.Kind {
        switch kind {
        case .cancelled: return .cancelled
        case .output: return .cannotWrite
        case .invalidInput, .noVideo, .unsupported: return .invalidInput
        }
    }
}
