import Hummingbird
import Logging

/// Around every request, matched or not: turns any error into the API's `{"error": ...}`
/// answer, counts the request and its latency by route pattern and status, and logs it
/// (method, route, status, duration: never headers, so no token).
struct ObservingMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ServiceMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound && context.endpointPath == "NotFound" {
            // No route for this method: 405 when the path is known, else 404.
            if let methods = HallmarkAPI.allowedMethods(path: request.uri.path) {
                response = try APIError(.methodNotAllowed, "\(request.method) is not allowed here; use \(methods.joined(separator: " or "))",
                                        headers: [.allow: methods.joined(separator: ", ")]).response(from: request, context: context)
            } else {
                response = try APIError(.notFound, "no such endpoint; see openapi/hallmark.yaml").response(from: request, context: context)
            }
        } catch {
            let apiError = APIError.from(error)
            if apiError.status == .internalServerError {
                context.logger.error("request failed", metadata: ["error": "\(String(describing: error).prefix(300))"])
            }
            response = try apiError.response(from: request, context: context)
        }
        let route = context.endpointPath.map { $0 == "NotFound" ? "unmatched" : $0 } ?? "unmatched"
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        metrics.request(route: route, method: request.method.rawValue, status: response.status.code, seconds: seconds)
        context.logger.info("\(request.method) \(route) \(response.status.code)", metadata: ["seconds": "\(seconds)"])
        return response
    }
}
