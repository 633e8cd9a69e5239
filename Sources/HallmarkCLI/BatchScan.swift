import ArgumentParser
import Foundation
import Hallmark
import HallmarkMedia

/// Expands arguments into video files: files as given, directories searched recursively for
/// common video extensions (sorted, hidden files skipped).
enum InputExpansion {
    static let videoExtensions: Set<String> = ["mp4", "mov", "m4v", "mkv", "webm", "avi", "ts", "mts", "m2ts", "flv", "3gp", "mpg", "mpeg", "ogv", "wmv"]

    struct Expansion {
        var files: [String]
        /// Directories given that hold no video file.
        var emptyDirectories: [String]
    }

    static func expand(_ arguments: [String]) -> Expansion {
        var out: [String] = []
        var empty: [String] = []
        for argument in arguments {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: argument, isDirectory: &isDirectory), isDirectory.boolValue {
                let base = URL(fileURLWithPath: argument)
                let enumerator = FileManager.default.enumerator(at: base, includingPropertiesForKeys: [.isRegularFileKey], options: [.skipsHiddenFiles])
                var found: [String] = []
                while let url = enumerator?.nextObject() as? URL {
                    if videoExtensions.contains(url.pathExtension.lowercased()) { found.append(url.path) }
                }
                if found.isEmpty { empty.append(argument) }
                out += found.sorted()
            } else {
                out.append(argument)
            }
        }
        return Expansion(files: out, emptyDirectories: empty)
    }
}

/// Runs a job over many files, at most `jobs` at a time (a task group), handing each result to
/// `emit` as soon as it is ready. A failing file does not stop the others; the count of failures
/// is returned. Results are emitted by the calling task, one at a time.
enum BatchScan {
    struct Outcome: Sendable {
        var line: String
        var failed: Bool
    }

    static func run(files: [String], jobs: Int, cancellation: Cancellation?,
                    work: @escaping @Sendable (String) async throws -> String,
                    failure: @escaping @Sendable (String, String) -> String,
                    emit: (String) -> Void) async -> Int {
        await withTaskGroup(of: Outcome.self) { group in
            var next = 0
            func startNext() {
                guard next < files.count, cancellation?.isCancelled != true else { return }
                let file = files[next]
                next += 1
                group.addTask {
                    do { return Outcome(line: try await work(file), failed: false) } catch {
                        return Outcome(line: failure(file, "\(error)"), failed: true)
                    }
                }
            }
            for _ in 0..<max(1, min(jobs, files.count)) { startNext() }
            var failures = 0
            for await outcome in group {
                emit(outcome.line)
                if outcome.failed { failures += 1 }
                startNext()
            }
            return failures
        }
    }
}

extension BatchScan {
    /// Verifies every file, printing `line(report)` per file (or its error) to stdout as results
    /// arrive; exits 130 when interrupted and 65 when any file failed (a directory without any
    /// video counts as a failure: a scan of nothing is not a clean result).
    static func verifyAll(_ inputs: [String], jobs: Int, verifier: Verifier, cancellation: Cancellation, json: Bool,
                          line: @escaping @Sendable (VerificationReport) -> String) async throws {
        let expansion = InputExpansion.expand(inputs)
        let failureLine: @Sendable (String, String) -> String = { file, message in
            json ? BatchOutput.errorLine(file: file, message: message) : "\(file): error: \(message)"
        }
        for directory in expansion.emptyDirectories {
            print(failureLine(directory, "no video files in this directory"))
        }
        let failures = await run(files: expansion.files, jobs: jobs, cancellation: cancellation, work: { file in
            line(try await verifier.verify(URL(fileURLWithPath: file), cancellation: cancellation))
        }, failure: failureLine, emit: { text in
            FileHandle.standardOutput.write(Data((text + "\n").utf8))
        })
        if cancellation.isCancelled { throw ExitCode(HallmarkExit.interrupted) }
        if failures > 0 || !expansion.emptyDirectories.isEmpty { throw ExitCode(HallmarkExit.invalidInput) }
    }
}
