import Foundation
import Hummingbird

/// A request body written to a temporary file as it arrives, one buffer at a time (the body is
/// never held in memory whole). Removed by `remove()`.
struct UploadSpool {
    let url: URL

    /// Streams `request`'s body into a new file in `directory`; throws `APIError.tooLarge` as
    /// soon as more than `limit` bytes arrive (or the Content-Length announces more).
    static func receive(_ request: Request, limit: Int, directory: URL) async throws -> UploadSpool {
        if let announced = request.headers[.contentLength].flatMap({ Int($0) }), announced > limit {
            throw APIError.tooLarge(limit: limit)
        }
        let url = directory.appendingPathComponent("upload-\(UUID().uuidString)")
        guard FileManager.default.createFile(atPath: url.path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
            throw APIError(.internalServerError, "cannot create a temporary file for the upload")
        }
        let spool = UploadSpool(url: url)
        do {
            let handle = try FileHandle(forWritingTo: url)
            defer { try? handle.close() }
            var received = 0
            for try await buffer in request.body {
                received += buffer.readableBytes
                if received > limit { throw APIError.tooLarge(limit: limit) }
                try buffer.withUnsafeReadableBytes { try handle.write(contentsOf: $0) }
            }
            guard received > 0 else { throw APIError(.badRequest, "the request body is empty: send the video as the body") }
        } catch {
            spool.remove()
            throw error
        }
        return spool
    }

    func remove() {
        try? FileManager.default.removeItem(at: url)
    }
}
