import ArgumentParser
import Foundation
import Hallmark
import HallmarkMedia

/// Expands arguments into video files: files as given, directories searched recursively for
/// common video extensions (sorted, hidden files skipped).
enum InputExpansion {
    static let videoExtensions: Set<String> = ["mp4", "mov", "m4v", "mkv", "webm", "avi", "ts", "mts", "m2ts", "flv", "3gp", "mpg", "mpeg", "ogv", "wmv"]

    static func expand(_ arguments: [String]) -> [String] {
        var out: [String] = []
        for argument in arguments {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: argument, isDirectory: &isDirectory), isDirectory.boolValue {
                let base = URL(fileURLWithPath: argument)
                let enumerator = FileManager.default.enumerator(at: base, includingPropertiesForKeys: [.isRegularFileKey], options: [.skipsHiddenFiles])
                var found: [String] = []
                while let url = enumerator?.nextObject() as? URL {
                    if videoExtensions.contains(url.pathExtension.lowercased()) { found.append(url.path) }
                }
                out += found.sorted()
            } else {
                out.append(argument)
            }
        }
        return out
    }
}

/// Runs a job over many files with a bounded pool of worker threads, handing each result to
/// `emit` (serialised) as soon as it is ready. A failing file does not stop the others.
enum BatchScan {
    static func run(files: [String], jobs: Int, cancellation: Cancellation?,
                    work: @escaping @Sendable (String) throws -> String,
                    failure: @escaping @Sendable (String, String) -> String,
                    emit: @escaping @Sendable (String) -> Void) -> Int {
        let lock = NSLock()
        nonisolated(unsafe) var next = 0
        nonisolated(unsafe) var failures = 0
        let group = DispatchGroup()
        for _ in 0..<max(1, min(jobs, files.count)) {
            group.enter()
            Thread.detachNewThread {
                defer { group.leave() }
                while true {
                    lock.lock()
                    let index = next
                    next += 1
                    lock.unlock()
                    guard index < files.count, cancellation?.isCancelled != true else { return }
                    let line: String
                    do {
                        line = try work(files[index])
                    } catch {
                        line = failure(files[index], "\(error)")
                        lock.lock(); failures += 1; lock.unlock()
                    }
                    lock.lock()
                    emit(line)
                    lock.unlock()
                }
            }
        }
        group.wait()
        return failures
    }
}

extension BatchScan {
    /// Verifies every file, printing `line(report)` per file (or its error) to stdout as results
    /// arrive; exits 130 when interrupted and 65 when any file failed.
    static func verifyAll(_ files: [String], jobs: Int, verifier: Verifier, cancellation: Cancellation, json: Bool,
                          line: @escaping @Sendable (VerificationReport) -> String) throws {
        let failures = run(files: files, jobs: jobs, cancellation: cancellation, work: { file in
            line(try verifier.verify(URL(fileURLWithPath: file)))
        }, failure: { file, message in
            json ? BatchOutput.errorLine(file: file, message: message) : "\(file): error: \(message)"
        }, emit: { text in
            FileHandle.standardOutput.write(Data((text + "\n").utf8))
        })
        if cancellation.isCancelled { throw ExitCode(HallmarkExit.interrupted) }
        if failures > 0 { throw ExitCode(HallmarkExit.invalidInput) }
    }
}
