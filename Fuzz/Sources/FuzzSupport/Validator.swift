import Foundation
import HallmarkC2PA

/// The validator the manifest targets use: trust anchors from `HALLMARK_FUZZ_ANCHORS` (a PEM
/// file; scripts/fuzz.sh passes the seeds' development root, so that the trusted path is
/// reachable), no time-stamp anchors (parsing the system bundle per input would dominate).
public let fuzzValidator: ManifestValidator = {
    let anchors = ProcessInfo.processInfo.environment["HALLMARK_FUZZ_ANCHORS"].flatMap { try? String(contentsOfFile: $0, encoding: .utf8) }
    return ManifestValidator(trustAnchorsPEM: anchors, timeStampAnchorsPEM: nil)
}()

/// Runs the seed extractor when `HALLMARK_FUZZ_SEED_OUT` is set (inputs listed one a line in
/// the file `HALLMARK_FUZZ_SEED_LIST`), then exits; called from `LLVMFuzzerInitialize`.
public func seedIfAsked() {
    let environment = ProcessInfo.processInfo.environment
    guard let out = environment["HALLMARK_FUZZ_SEED_OUT"] else { return }
    let list = environment["HALLMARK_FUZZ_SEED_LIST"].flatMap { try? String(contentsOfFile: $0, encoding: .utf8) } ?? ""
    let inputs = list.split(separator: "\n").map { URL(fileURLWithPath: String($0)) }
    do {
        try Seeder.run(inputs: inputs, output: URL(fileURLWithPath: out))
        exit(0)
    } catch {
        FileHandle.standardError.write(Data("seeding failed: \(error)\n".utf8))
        exit(1)
    }
}
