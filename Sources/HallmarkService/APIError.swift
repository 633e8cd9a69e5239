import Foundation
import Hummingbird

/// An error answered as `{"error": "<one sentence>"}` with its status (and headers such as
/// `Retry-After`). Every failure of the API has this shape, whichever endpoint it comes from.
struct APIError: Error, HTTPResponseError {
    let status: HTTPResponse.Status
    let message: String
    var headers: HTTPFields = [:]

    init(_ status: HTTPResponse.Status, _ message: String, headers: HTTPFields = [:]) {
        self.status = status
        self.message = message
        self.headers = headers
    }

    static func tooLarge(limit: Int) -> APIError {
        APIError(.contentTooLarge, "the upload is larger than the server's limit of \(limit >> 20) MiB")
    }

    static let unauthorized = APIError(.unauthorized, "a valid bearer token is required (Authorization: Bearer <token>)",
                                       headers: [.wwwAuthenticate: "Bearer"])

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = JSONBody.response(["error": message], status: status)
        response.headers.append(contentsOf: headers)
        return response
    }

    /// Any error as the API answers it: our own as they are, Hummingbird's with their status and
    /// message, everything else as a 500 that names no internals.
    static func from(_ error: any Error) -> APIError {
        switch error {
        case let error as APIError:
            return error
        case let error as HTTPError:
            return APIError(error.status, error.body ?? error.status.reasonPhrase.lowercased(), headers: error.headers)
        case let error as any HTTPResponseError:
            return APIError(error.status, error.status.reasonPhrase.lowercased())
        default:
            return APIError(.internalServerError, "internal error")
        }
    }
}

/// JSON bodies: sorted keys, no escaped slashes (the style of the CLI's JSON).
enum JSONBody {
    static func response(_ object: Any, status: HTTPResponse.Status = .ok) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        return response(text: String(decoding: data, as: UTF8.self), status: status)
    }

    /// `text` is JSON already.
    static func response(text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"],
                 body: ResponseBody(byteBuffer: ByteBuffer(string: text.hasSuffix("\n") ? text : text + "\n")))
    }
}
