import Foundation
import CoreMetrics
import Prometheus

/// The service's metrics, recorded through swift-metrics into a Prometheus registry of this
/// server's own (no process-wide bootstrap, so several servers can share a process) and
/// served as text on /metrics. Every name starts with `hallmark_`.
final class ServiceMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private let factory: PrometheusMetricsFactory
    private let queueDepth: CoreMetrics.Gauge
    private let inFlight: CoreMetrics.Gauge

    init() {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets["hallmark_http_request_duration_seconds"] = [
            .milliseconds(1), .milliseconds(5), .milliseconds(25), .milliseconds(100), .milliseconds(250),
            .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10), .seconds(30), .seconds(60), .seconds(120),
        ]
        self.factory = factory
        queueDepth = CoreMetrics.Gauge(label: "hallmark_verify_queue_depth", factory: factory)
        inFlight = CoreMetrics.Gauge(label: "hallmark_verify_in_flight", factory: factory)
        queueDepth.record(0)
        inFlight.record(0)
    }

    /// One answered request: `route` is the matched route pattern (never the raw path, so ids
    /// do not make new series), or "unmatched".
    func request(route: String, method: String, status: Int, seconds: Double) {
        let dimensions = [("route", route), ("method", method), ("status", String(status))]
        CoreMetrics.Counter(label: "hallmark_http_requests_total", dimensions: dimensions, factory: factory).increment()
        CoreMetrics.Timer(label: "hallmark_http_request_duration_seconds", dimensions: [("route", route)], factory: factory)
            .recordNanoseconds(Int64(seconds * 1e9))
    }

    /// A finished verification, by verdict: attributed, detected (watermark found, not
    /// attributed), not-detected, or error.
    func verified(verdict: String) {
        CoreMetrics.Counter(label: "hallmark_verifies_total", dimensions: [("verdict", verdict)], factory: factory).increment()
    }

    /// Requests admitted but not verifying yet (uploading or waiting for a job), and verifying.
    func queue(waiting: Int, running: Int) {
        queueDepth.record(waiting)
        inFlight.record(running)
    }

    func rejected(reason: String) {
        CoreMetrics.Counter(label: "hallmark_verify_rejected_total", dimensions: [("reason", reason)], factory: factory).increment()
    }

    func text() -> String { registry.emitToString() }
}
