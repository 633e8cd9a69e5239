import Foundation
import HallmarkCrypto
import HallmarkRegistry

/// Settles registry records that a stamp left pending.
///
/// A stamp writes its record (pending) before it renames the output into place, then marks it
/// delivered. A process killed between the two leaves a pending record. Its `pendingOwner` names
/// the host and the temporary file the stamp was writing, whose lock dies with the process: a
/// pending record of this host whose temporary file nobody holds is settled here, delivered
/// when its output is in place with the recorded hash, not delivered otherwise.
public enum Deliveries {
    /// `HOST PATH` of the temporary output being written.
    static func owner(temporary: URL) -> String {
        "\(hostName) \(temporary.path)"
    }

    static let hostName = ProcessInfo.processInfo.hostName

    /// Settles the pending records whose stamp died; returns how many it settled. Records of
    /// other hosts (a shared PostgreSQL registry) are left to those hosts.
    @discardableResult
    public static func reconcile(_ registry: any MarkRegistry) throws -> Int {
        var settled = 0
        for record in try registry.pendingRecords() {
            guard let owner = record.pendingOwner, let space = owner.firstIndex(of: " "),
                  owner[..<space] == hostName else { continue }
            let temporary = String(owner[owner.index(after: space)...])
            guard !StaleTemporaries.isHeld(temporary) else { continue }  // still being stamped
            let delivered = record.outputPath.map { path in
                record.outputSHA256 != nil && (try? SHA256Hasher.hashFile(at: URL(fileURLWithPath: path)).hexString) == record.outputSHA256
            } ?? false
            try registry.setDelivery(markId: record.markId, to: delivered ? .delivered : .notDelivered)
            StaleTemporaries.remove(in: URL(fileURLWithPath: temporary).deletingLastPathComponent())
            settled += 1
        }
        return settled
    }
}

/// Named points where a test can have the process killed (`HALLMARK_FAILPOINT=NAME` sends it
/// SIGKILL there), to check that a crash at the worst moment loses nothing.
enum Failpoint {
    static let armed = ProcessInfo.processInfo.environment["HALLMARK_FAILPOINT"]

    static func hit(_ name: String) {
        if armed == name { kill(getpid(), SIGKILL) }
    }
}
