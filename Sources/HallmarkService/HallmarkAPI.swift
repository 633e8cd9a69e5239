import Foundation
import Hallmark
import HallmarkRegistry
import Hummingbird

/// The routes of `hallmark serve`.
///
/// | endpoint | access |
/// |---|---|
/// | `POST /v1/verify`, `GET /v1/marks/{markId}` | bearer token: they name accounts |
/// | `GET /matches/byBinding`, `POST /matches/byBinding`, `POST /matches/byContent`, `GET /manifests/{manifestId}`, `GET /services/supportedAlgorithms` | public (C2PA Soft Binding Resolution API): manifest ids and manifest stores only, never an account |
/// | `GET /healthz`, `GET /metrics` | public: counts only |
struct HallmarkAPI: Sendable {
    static let algorithm = "io.hallmark.spectral.v1"

    let service: VerificationService
    let registry: (any MarkRegistry)?
    let manifests: ManifestIndex?
    let tokens: BearerTokens
    let metrics: ServiceMetrics
    let limiter: JobLimiter

    func addRoutes(to router: Router<BasicRequestContext>) {
        router.get("/healthz") { _, _ in await health() }
        router.get("/metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: ResponseBody(byteBuffer: ByteBuffer(string: metrics.text())))
        }
        router.post("/v1/verify") { request, _ in
            try authorize(request)
            return JSONBody.response(text: try await service.verify(request).json())
        }
        router.get("/v1/marks/:markId") { request, context in
            try authorize(request)
            return try mark(context.parameters.get("markId") ?? "")
        }
        router.get("/services/supportedAlgorithms") { _, _ in
            JSONBody.response(["watermarks": [["alg": Self.algorithm]], "fingerprints": [[String: String]]()])
        }
        router.get("/matches/byBinding") { request, _ in
            let query = request.uri.queryParameters
            try Self.checkMaxResults(query.get("maxResults"))
            return try await matches(alg: query.get("alg"), value: query.get("value"))
        }
        router.post("/matches/byBinding") { request, context in
            try Self.checkMaxResults(request.uri.queryParameters.get("maxResults"))
            guard request.headers[.contentType]?.lowercased().hasPrefix("application/json") == true else {
                throw APIError(.unsupportedMediaType, "the body must be application/json")
            }
            let body: BindingQuery
            do { body = try await request.decode(as: BindingQuery.self, context: context) } catch {
                throw APIError(.badRequest, "the body must be JSON {\"alg\": ..., \"value\": ...}")
            }
            return try await matches(alg: body.alg, value: body.value)
        }
        router.post("/matches/byContent") { request, _ in
            try await matches(markIds: Self.bindings(in: try await service.verify(request)))
        }
        router.get("/manifests/:manifestId") { request, context in
            let label = context.parameters.get("manifestId") ?? ""
            if let flag = request.uri.queryParameters.get("returnActiveManifest"), !["true", "false"].contains(flag) {
                throw APIError(.badRequest, "returnActiveManifest must be true or false")
            }
            guard let manifests, let store = try await manifests.store(label: label) else {
                throw APIError(.notFound, "no manifest has this id")
            }
            return Response(status: .ok, headers: [.contentType: "application/c2pa"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: store)))
        }
    }

    /// Every route and its methods, to answer 405 (with `Allow`) to a known path asked with
    /// another method instead of 404.
    static let routes: [(path: [Substring], methods: [String])] = [
        ("/healthz", ["GET"]), ("/metrics", ["GET"]), ("/v1/verify", ["POST"]), ("/v1/marks/:markId", ["GET"]),
        ("/services/supportedAlgorithms", ["GET"]), ("/matches/byBinding", ["GET", "POST"]),
        ("/matches/byContent", ["POST"]), ("/manifests/:manifestId", ["GET"]),
    ].map { ($0.0.split(separator: "/"), $0.1) }

    /// The methods of the route `path` matches, if any.
    static func allowedMethods(path: String) -> [String]? {
        let segments = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        return routes.first { route in
            route.path.count == segments.count && zip(route.path, segments).allSatisfy { $0.hasPrefix(":") ? !$1.isEmpty : $0 == $1 }
        }?.methods
    }

    /// The spec's optional `maxResults`: a positive integer of any size (one match at most is
    /// ever found, so a cap past Int.max is as valid as 1). Decimal digits, optionally `+`, not zero.
    static func checkMaxResults(_ text: String?) throws {
        guard let text else { return }
        let digits = text.hasPrefix("+") ? text.dropFirst() : Substring(text)
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }), digits.contains(where: { $0 != "0" }) else {
            throw APIError(.badRequest, "maxResults must be a positive integer")
        }
    }

    struct BindingQuery: Decodable {
        var alg: String
        var value: String
    }

    private func authorize(_ request: Request) throws {
        guard tokens.accepts(authorization: request.headers[.authorization]) else { throw APIError.unauthorized }
    }

    private func health() async -> Response {
        let running = await limiter.running, admitted = await limiter.admitted
        return JSONBody.response(["status": "ok", "verifying": running, "waiting": admitted - running])
    }

    private func mark(_ text: String) throws -> Response {
        guard let id = MarkID.parse(text.lowercased()) else {
            throw APIError(.badRequest, "a mark id is 16 hexadecimal digits")
        }
        guard let registry, let record = try registry.record(markId: id) else {
            throw APIError(.notFound, "no mark \(MarkID.hex(id)) in the registry")
        }
        return JSONBody.response(MarkRecordJSON.object(record))
    }

    private static var noMatches: Response { JSONBody.response(["matches": [[String: Any]]()]) }

    private func matches(alg: String?, value: String?) async throws -> Response {
        guard let alg, !alg.isEmpty, let value, !value.isEmpty else {
            throw APIError(.badRequest, "alg and value are required")
        }
        guard alg == Self.algorithm else {
            throw APIError(.badRequest, "unsupported alg \(alg.prefix(64)); see /services/supportedAlgorithms")
        }
        guard let bytes = Self.base64Bytes(value), bytes.count == 8 else {
            throw APIError(.badRequest, "value must be the base64 of the 8-byte binding (the mark id, big-endian)")
        }
        return try await matches(markIds: [bytes.reduce(UInt64(0)) { $0 << 8 | UInt64($1) }])
    }

    /// The bindings an asset carries: the mark id read blind, then every mark informed detection
    /// attributed to it (each past the false-accusation threshold, strongest first): a copy whose
    /// payload no longer decodes, or an average of several accounts' copies.
    static func bindings(in report: VerificationReport) -> [UInt64] {
        var ids: [UInt64] = []
        if report.watermark.detected, let hex = report.watermark.markId, let id = MarkID.parse(hex) { ids.append(id) }
        for accused in report.trace.accused {
            if let id = MarkID.parse(accused.markId), !ids.contains(id) { ids.append(id) }
        }
        return ids
    }

    /// The manifests bound to `markIds` that the registry holds. The score is 100: each binding
    /// is the exact mark id of a registered copy.
    private func matches(markIds: [UInt64]) async throws -> Response {
        guard let registry else { return Self.noMatches }
        var matches: [[String: Any]] = []
        for markId in markIds {
            guard let record = try registry.record(markId: markId), let label = record.manifestId else { continue }
            try await manifests?.labelIfNeeded(record)
            matches.append(["manifestId": label, "similarityScore": 100])
        }
        return JSONBody.response(["matches": matches])
    }

    /// Standard or URL-safe base64, padded or not; a query's `+` may arrive as a space.
    static func base64Bytes(_ text: String) -> [UInt8]? {
        var normalized = text.replacingOccurrences(of: " ", with: "+").replacingOccurrences(of: "-", with: "+")
            .replacingOccurrences(of: "_", with: "/")
        if normalized.count % 4 != 0 { normalized += String(repeating: "=", count: 4 - normalized.count % 4) }
        return Data(base64Encoded: normalized).map { [UInt8]($0) }
    }
}
