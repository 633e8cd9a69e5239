import Foundation
import Hallmark
import Hummingbird
import Logging
import ServiceLifecycle

/// `hallmark serve`: builds the verifier, the routes and the HTTP server, and runs them until
/// SIGTERM or SIGINT, then shuts down gracefully (requests in flight are answered first).
public enum HallmarkServer {
    /// Runs the server; `onListening` gets the bound port (useful with port 0).
    public static func run(_ configuration: ServerConfiguration, logger: Logger,
                           onListening: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        var options = configuration.verifyOptions
        options.command = "hallmark serve"
        let verifier = try Verifier(home: configuration.home, registryLocation: configuration.registryLocation, options: options)
        let uploads = try uploadDirectory()
        defer { try? FileManager.default.removeItem(at: uploads) }

        let metrics = ServiceMetrics()
        let limiter = JobLimiter(jobs: configuration.jobs, queue: configuration.queue) { waiting, running in
            metrics.queue(waiting: waiting, running: running)
        }
        let service = VerificationService(verifier: verifier, configuration: configuration, limiter: limiter,
                                          executor: VerifyExecutor(), metrics: metrics, uploads: uploads, logger: logger)
        let manifests = verifier.registry.map { ManifestIndex(registry: $0) }
        let api = HallmarkAPI(service: service, registry: verifier.registry, manifests: manifests,
                              tokens: configuration.tokens, metrics: metrics, limiter: limiter)

        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: ObservingMiddleware(metrics: metrics))
        api.addRoutes(to: router)
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "hallmark"),
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? configuration.port) },
            logger: logger)
        var services = [ServiceGroupConfiguration.ServiceConfiguration(service: app)]
        if let manifests {
            // Runs once and ends; the server keeps running.
            services.append(.init(service: ManifestBackfill(index: manifests, logger: logger), successTerminationBehavior: .ignore))
        }
        var group = ServiceGroupConfiguration(services: services, logger: logger)
        group.gracefulShutdownSignals = [.sigterm, .sigint]
        try await ServiceGroup(configuration: group).run()
    }

    /// A private folder for this process's uploads; those of dead earlier processes are removed.
    static func uploadDirectory() throws -> URL {
        let base = FileManager.default.temporaryDirectory
        for name in (try? FileManager.default.contentsOfDirectory(atPath: base.path)) ?? [] where name.hasPrefix("hallmark-serve-") {
            if let pid = Int32(name.dropFirst("hallmark-serve-".count)), kill(pid, 0) != 0, errno == ESRCH {
                try? FileManager.default.removeItem(at: base.appendingPathComponent(name))
            }
        }
        let directory = base.appendingPathComponent("hallmark-serve-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        return directory
    }
}
