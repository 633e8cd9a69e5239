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
/// | 78 | the key or registry is missing or invalid |
/// | 130 | interrupted |
public enum HallmarkExit {
    public static let usage: Int32 = 64
    public static let invalidInput: Int32 = 65
    public static let cannotWrite: Int32 = 73
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
func reportingErrors<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as HallmarkError {
        Terminal.clearProgress()
        Terminal.error(error.message)
        throw ExitCode(HallmarkExit.code(for: error))
    } catch let error as MediaError {
        Terminal.clearProgress()
        Terminal.error(error.message)
        throw ExitCode(error.kind == .cancelled ? HallmarkExit.interrupted : HallmarkExit.invalidInput)
    }
}
