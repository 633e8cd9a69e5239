import ArgumentParser
import Foundation
import Hallmark
import HallmarkService
import Logging

/// `hallmark serve`: the HTTP API (see HallmarkService and openapi/hallmark.yaml).
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the verify API and the C2PA Soft Binding Resolution API over HTTP.",
        discussion: """
            Endpoints (openapi/hallmark.yaml): POST /v1/verify and GET /v1/marks/{markId} need \
            `Authorization: Bearer <token>` with a token from --token-file (one per line); \
            GET|POST /matches/byBinding, POST /matches/byContent, GET /manifests/{manifestId}, \
            GET /services/supportedAlgorithms, GET /healthz and GET /metrics are public and name no \
            account. Prints "listening on http://HOST:PORT" once bound (port 0 picks a free one). \
            SIGTERM or SIGINT: requests in flight are answered, then the server exits 0.
            """)

    @OptionGroup var global: GlobalOptions

    @Option(help: ArgumentHelp("Address to listen on.", valueName: "host:port"))
    var listen: String = "127.0.0.1:8080"

    @Option(help: ArgumentHelp("File of API tokens, one per line (mode 0600). Without it the /v1/ endpoints refuse every request.", valueName: "file"))
    var tokenFile: String?

    @Option(help: "Largest upload accepted, in MiB.")
    var maxUploadMb: Int = 512

    @Option(help: "Verifications run at once.")
    var jobs: Int = 1

    @Option(help: "Uploads admitted beyond --jobs (receiving or waiting); more are refused with 429.")
    var queue: Int = 4

    @Option(help: "Time limit of a verifying request (upload, wait and verify), in seconds.")
    var timeout: Double = 120

    @Option(help: "Declare the watermark detected at or below this false-positive probability.")
    var threshold: Double = 1e-9

    @Flag(help: "Trust the home's development root CA (testing only).")
    var trustDevRoot = false

    func validate() throws {
        guard parseListenAddress(listen) != nil else { throw ValidationError("--listen must be HOST:PORT, e.g. 127.0.0.1:8080") }
        guard (1...1 << 20).contains(maxUploadMb) else { throw ValidationError("--max-upload-mb must be between 1 and 1048576") }
        guard (1...64).contains(jobs) else { throw ValidationError("--jobs must be between 1 and 64") }
        guard (0...10_000).contains(queue) else { throw ValidationError("--queue must be between 0 and 10000") }
        guard timeout > 0, timeout <= 86_400 else { throw ValidationError("--timeout must be between 0 and 86400 seconds") }
        guard threshold > 0, threshold < 1 else { throw ValidationError("--threshold must be between 0 and 1") }
    }

    func run() async throws {
        let (host, port) = parseListenAddress(listen)!
        let tokens: BearerTokens
        do {
            tokens = try tokenFile.map { try BearerTokens.load(path: $0) } ?? BearerTokens([])
        } catch {
            Terminal.error("--token-file: \(error)")
            throw ExitCode(HallmarkExit.configuration)
        }
        var configuration = ServerConfiguration(home: global.resolvedHome, tokens: tokens)
        configuration.host = host
        configuration.port = port
        configuration.registryLocation = try global.registryLocation()
        configuration.maxUploadBytes = maxUploadMb << 20
        configuration.jobs = jobs
        configuration.queue = queue
        configuration.requestTimeout = .milliseconds(Int64(timeout * 1000))
        configuration.verifyOptions = VerifyOptions(threshold: threshold)
        configuration.verifyOptions.trustDevelopmentRoot = trustDevRoot

        var logger = Logger(label: "hallmark.serve")
        logger.logLevel = .notice
        if tokens.isEmpty { logger.warning("no --token-file: POST /v1/verify and GET /v1/marks answer 401 to everyone") }
        try await reportingErrors {
            try await HallmarkServer.run(configuration, logger: logger) { port in
                let shown = host.contains(":") ? "[\(host)]" : host
                FileHandle.standardOutput.write(Data("listening on http://\(shown):\(port)\n".utf8))
            }
        }
    }
}
