import Foundation

/// Where a registry lives, as given on a command line or in a configuration file.
public enum RegistryLocation: Sendable, Equatable {
    /// A file path, absolute or relative to the current directory.
    case sqlite(path: String)
    /// A PostgreSQL connection URL, kept verbatim (it may contain credentials: do not log it).
    case postgres(url: String)

    /// Accepted forms:
    /// - `postgres://…` or `postgresql://…` (scheme case-insensitive) -> `.postgres`
    /// - `sqlite:///abs/path` -> `.sqlite("/abs/path")` (percent-escapes decoded, as in any URL)
    /// - `sqlite:relative/path` or `sqlite:/abs/path` -> `.sqlite` with the rest taken literally
    /// - anything else without a `scheme://` prefix -> a plain path
    /// Any other `scheme://` throws `RegistryError.unsupportedScheme`.
    public static func parse(_ text: String) throws -> RegistryLocation {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { throw RegistryError.invalidLocation("empty location") }

        if let scheme = urlScheme(of: trimmed) {
            switch scheme.lowercased() {
            case "postgres", "postgresql":
                return .postgres(url: trimmed)
            case "sqlite":
                let rest = trimmed.dropFirst(scheme.count + 3)  // after "sqlite://"
                guard rest.hasPrefix("/") else {
                    throw RegistryError.invalidLocation(
                        "\(trimmed): expected sqlite:///absolute/path (three slashes) or sqlite:relative/path")
                }
                guard let path = String(rest).removingPercentEncoding else {
                    throw RegistryError.invalidLocation("\(trimmed): malformed percent-escape")
                }
                return .sqlite(path: path)
            default:
                throw RegistryError.unsupportedScheme(scheme)
            }
        }
        if trimmed.count > 7, trimmed.prefix(7).lowercased() == "sqlite:" {
            return .sqlite(path: String(trimmed.dropFirst(7)))
        }
        if trimmed.lowercased() == "sqlite:" {
            throw RegistryError.invalidLocation("sqlite: needs a path")
        }
        return .sqlite(path: trimmed)
    }

    /// The location for messages and reports: a PostgreSQL URL without its password.
    public var redacted: String {
        switch self {
        case let .sqlite(path): path
        case let .postgres(url): PostgresURL.redact(url).display
        }
    }

    /// The scheme of `text` if it starts with `scheme://` (RFC 3986 scheme characters).
    private static func urlScheme(of text: String) -> String? {
        guard let range = text.range(of: "://") else { return nil }
        let scheme = text[..<range.lowerBound]
        guard let first = scheme.unicodeScalars.first, first.isASCII, first.properties.isAlphabetic else {
            return nil
        }
        let allowed = scheme.unicodeScalars.allSatisfy {
            $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "+-.".unicodeScalars.contains($0))
        }
        return allowed ? String(scheme) : nil
    }
}

/// Opens the registry at `location`: an `SQLiteRegistry` or a `PostgreSQLRegistry`.
public func openRegistry(_ location: RegistryLocation, create: Bool) throws -> any MarkRegistry {
    switch location {
    case let .sqlite(path):
        return try SQLiteRegistry(path: path, create: create)
    case let .postgres(url):
        return try PostgreSQLRegistry(url: url, create: create)
    }
}
