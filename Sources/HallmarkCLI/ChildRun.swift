import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One child process run to its end, measured the way the project reports speed: wall time of
/// the whole process, its own CPU time and peak resident memory (from `wait4`, so for that child
/// alone: `RUSAGE_CHILDREN`'s maxrss is the largest of all children so far).
struct ChildRun: Sendable {
    var wallSeconds: Double
    var cpuSeconds: Double
    /// Peak resident set size in bytes.
    var peakRSS: Int64
    var exitStatus: Int32

    /// Runs `executable` with `arguments`, its output to /dev/null, `environment` added to ours.
    static func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws -> ChildRun {
        var env = ProcessInfo.processInfo.environment
        env.merge(environment) { $1 }
        let argv = ([executable] + arguments).map { strdup($0) }
        let envp = env.map { strdup("\($0.key)=\($0.value)") }
        defer { (argv + envp).forEach { free($0) } }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)

        var start = timespec(), end = timespec()
        clock_gettime(CLOCK_MONOTONIC, &start)
        var pid: pid_t = 0
        let spawned = (argv + [nil]).withUnsafeBufferPointer { a in
            (envp + [nil]).withUnsafeBufferPointer { e in
                posix_spawn(&pid, executable, &actions, nil, UnsafeMutablePointer(mutating: a.baseAddress!), UnsafeMutablePointer(mutating: e.baseAddress!))
            }
        }
        guard spawned == 0 else { throw ChildRunError(message: "cannot start \(executable): \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        var usage = rusage()
        while wait4(pid, &status, 0, &usage) < 0 {
            guard errno == EINTR else { throw ChildRunError(message: "wait4 failed: \(String(cString: strerror(errno)))") }
        }
        clock_gettime(CLOCK_MONOTONIC, &end)
        func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        let wall = Double(end.tv_sec - start.tv_sec) + Double(end.tv_nsec - start.tv_nsec) / 1e9
        #if os(Linux)
        let rss = Int64(usage.ru_maxrss) * 1024  // kilobytes on Linux
        #else
        let rss = Int64(usage.ru_maxrss)  // bytes on macOS
        #endif
        // WIFEXITED / WEXITSTATUS, spelled out (they are macros).
        let exit = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return ChildRun(wallSeconds: wall, cpuSeconds: seconds(usage.ru_utime) + seconds(usage.ru_stime), peakRSS: rss, exitStatus: exit)
    }

    /// This executable's own path, for running `hallmark` as a child.
    static var selfExecutable: String {
        #if os(Linux)
        if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return path }
        #endif
        return URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.path
    }
}

struct ChildRunError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
