import ArgumentParser

/// `hallmark`: stamp, verify and trace AI-generated video.
public struct HallmarkCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "hallmark",
        abstract: "Video provenance: visible and invisible watermarks, a mark registry, verification.",
        discussion: """
            Exit codes: 0 the job ran (whatever the verdict), 64 usage, 65 unreadable or invalid input, \
            73 output or registry not writable, 75 not finished yet (scan results), 78 key or registry missing or invalid, 130 interrupted.
            """,
        version: "0.1.0",
        subcommands: [StampCommand.self, VerifyCommand.self, SearchCommand.self, TraceCommand.self, ScanCommand.self, WorkerCommand.self, ServeCommand.self, SignCommand.self, KeysCommand.self, RegistryCommand.self, EvalCommand.self, BenchGroup.self, FingerprintGroup.self])

    public init() {}
}
