import ArgumentParser
import Foundation
import Hallmark
import HallmarkMedia

/// Exit codes scripts can rely on (the sysexits.h values):
///
/// | code | meaning |
/// |---|---|
/// | 0 | the analysis ran (whatever the verdict) |
/// | 64 | usage error |
/// | 65 | the input is unreadable or invalid |
/// | 73 | the output or registry cannot be written |
/// | 75 | not finished yet (`scan results` of a scan still running; try again later) |
/// | 78 | the key or registry is missing or invalid |
/// | 130 | interrupted |
public enum HallmarkExit {
    public static let usage: Int32 = 64
    public static let invalidInput: Int32 = 65
    public static let cannotWrite: Int32 = 73
    public static let incomplete: Int32 = 75
    public static let configuration: Int32 = 78
    public static let interrupted: Int32 = 130

    static func code(for error: HallmarkError) -> Int32 {
        switch error.kind {
        case .invalidInput: return invalidInput
        case .cannotWrite: return cannotWrite
        case .configuration: return configuration
        case .cancelled: return interrupted
        }
    }
}

/// Runs `body`, turning Hallmark's errors into one line on stderr and the matching exit code.
/// With `jsonFor` (a file a JSON report was asked for), stdout gets `{"file", "error"}` too, so
/// that a script reading stdout sees the failure.
func reportingErrors<T>(jsonFor file: String? = nil, _ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch {
        throw failure(error, jsonFor: file)
    }
}

/// `reportingErrors` for async work.
func reportingErrors<T>(jsonFor file: String? = nil, _ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch {
        throw failure(error, jsonFor: file)
    }
}

/// Reports `error` (one line on stderr, and a JSON line on stdout for `jsonFor`) and returns
/// the exit to leave with. Errors that are already exits or usage errors pass through.
private func failure(_ error: Error, jsonFor file: String?) -> Error {
    let code: Int32
    let message: String
    switch error {
    case let error as HallmarkError:
        (code, message) = (HallmarkExit.code(for: error), error.message)
    case let error as MediaError:
        (code, message) = (error.kind == .cancelled ? HallmarkExit.interrupted : HallmarkExit.invalidInput, error.message)
    default:
        return error
    }
    Terminal.clearProgress()
    Terminal.error(message)
    if let file { print(BatchOutput.errorLine(file: file, message: message)) }
    return ExitCode(code)
}
