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
        } catch {
            let apiError = APIError.from(error)
            if apiError.status == .internalServerError {
                context.logger.error("request failed", metadata: ["error": "\(String(describing: error).prefix(300))"])
            }
            response = try apiError.response(from: request, context: context)
        }
        let route = context.endpointPath ?? "unmatched"
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        metrics.request(route: route, method: request.method.rawValue, status: response.status.code, seconds: seconds)
        context.logger.info("\(request.method) \(route) \(response.status.code)", metadata: ["seconds": "\(seconds)"])
        return response
    }
}
