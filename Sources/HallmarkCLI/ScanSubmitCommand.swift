import ArgumentParser
import Foundation
import Hallmark

struct ScanSubmitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "submit",
        abstract: "Queue video files (directories are searched recursively) and print the scan id.",
        discussion: "Paths are stored absolute: workers must see the files at the same paths. Nothing is queued if any path is missing or a directory holds no video.")

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Videos, or directories of them.")
    var inputs: [String]

    func validate() throws {
        guard !inputs.isEmpty else { throw ValidationError("give at least one video or directory") }
    }

    func run() throws {
        let scanId = try reportingErrors {
            let files = try Self.files(inputs)
            let queue = try ScanCommand.openQueue(global, create: true)
            return try ScanCommand.querying { try queue.submit(paths: files) }
        }
        print(scanId)
    }

    /// The video files to queue, absolute; a missing path or a directory without videos is an error.
    static func files(_ inputs: [String]) throws -> [String] {
        let expansion = InputExpansion.expand(inputs)
        if let empty = expansion.emptyDirectories.first {
            throw HallmarkError(.invalidInput, "\(empty): no video files in this directory")
        }
        return try expansion.files.map { file in
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory), !isDirectory.boolValue else {
                throw HallmarkError(.invalidInput, "\(file): no such file")
            }
            return URL(fileURLWithPath: file).standardizedFileURL.path
        }
    }
}
