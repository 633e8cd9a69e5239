import Foundation

/// Everything that can go wrong with a registry. `description` is one line meant for humans.
public enum RegistryError: Error, Equatable, CustomStringConvertible, LocalizedError {
    /// The file exists (or should) but could not be opened or created; for PostgreSQL, the
    /// server could not be reached or refused the connection (`path` is the URL without password).
    case cannotOpen(path: String, message: String)
    /// Opened without `create` and there is no file at `path` (or no such PostgreSQL database).
    case notFound(path: String)
    /// The file is not an SQLite database, or it is damaged.
    case notADatabase(path: String, message: String)
    /// A valid SQLite (or PostgreSQL) database that is not a Hallmark registry (or is empty and
    /// was opened without `create`).
    case notARegistry(path: String, message: String)
    /// The registry was written by a newer Hallmark; it is left untouched.
    case newerSchema(path: String, found: Int, supported: Int)
    /// `insert` of a mark id that is already registered.
    case duplicateMarkId(UInt64)
    /// A record that cannot be stored (for example a date outside the 64-bit millisecond range).
    case invalidRecord(String)
    /// A stored row that cannot be turned back into a `MarkRecord`.
    case corruptRecord(markId: UInt64, message: String)
    /// `RegistryLocation.parse` could not make sense of its input.
    case invalidLocation(String)
    /// A URL scheme `RegistryLocation.parse` does not know.
    case unsupportedScheme(String)
    /// A known but not (yet) available feature.
    case unsupported(String)
    /// Any other database failure (including "database is locked" after the busy timeout).
    case database(path: String, message: String)

    public var description: String {
        let text: String
        switch self {
        case let .cannotOpen(path, message):
            text = "cannot open registry \(path): \(message)"
        case let .notFound(path):
            text = "registry not found: \(path) (it is created only when asked to)"
        case let .notADatabase(path, message):
            text = "\(path) is not a registry: not an SQLite database or damaged (\(message))"
        case let .notARegistry(path, message):
            text = "\(path) is not a Hallmark registry: \(message)"
        case let .newerSchema(path, found, supported):
            text = "registry \(path) has schema version \(found), newer than this build supports (\(supported)); upgrade Hallmark (the registry was left untouched)"
        case let .duplicateMarkId(id):
            text = "mark id \(id) (0x\(String(id, radix: 16))) is already registered"
        case let .invalidRecord(message):
            text = "invalid mark record: \(message)"
        case let .corruptRecord(id, message):
            text = "stored record for mark id \(id) is damaged: \(message)"
        case let .invalidLocation(message):
            text = "invalid registry location: \(message)"
        case let .unsupportedScheme(scheme):
            text = "unsupported registry URL scheme \"\(scheme)\" (use a file path, sqlite:, postgres:// or postgresql://)"
        case let .unsupported(message):
            text = message
        case let .database(path, message):
            text = "registry \(path): \(message)"
        }
        // Keep the promise of one line even if a path or an SQLite message contains a newline.
        return text.replacingOccurrences(of: "\n", with: " ")
    }

    public var errorDescription: String? { description }
}
