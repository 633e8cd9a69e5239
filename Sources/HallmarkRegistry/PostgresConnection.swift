import Foundation
internal import CPostgres

/// A value for one `$n` parameter of `PostgresConnection.query`. Values always travel as
/// parameters, never spliced into SQL text.
enum PostgresParameter {
    case null
    /// Sent in text format; the server converts it to the parameter's type (text, bigint, …).
    case text(String)
    /// Sent in binary format: the raw bytes of a bytea value.
    case bytes(Data)

    /// A 64-bit integer as decimal text (mark ids: pass `Int64(bitPattern:)`).
    static func int64(_ value: Int64) -> PostgresParameter { .text(String(value)) }

    /// `.text`, or `.null` for nil.
    static func optionalText(_ value: String?) -> PostgresParameter { value.map { .text($0) } ?? .null }

    /// `.bytes`, or `.null` for nil (empty `Data` stays an empty bytea, not NULL).
    static func optionalBytes(_ value: Data?) -> PostgresParameter { value.map { .bytes($0) } ?? .null }
}

/// A libpq failure as one line of text without the connection password.
struct PostgresError: Error, CustomStringConvertible {
    enum Kind {
        /// The connection could not be established (or re-established).
        case connect
        /// A statement failed, or the connection broke while running it.
        case query
    }

    let kind: Kind
    let message: String
    /// The five-character SQLSTATE from the server (e.g. 23505 unique_violation), if any.
    let sqlState: String?

    var description: String { sqlState.map { "\(message) (SQLSTATE \($0))" } ?? message }
}

/// A thin wrapper around one libpq `PGconn`. Not thread-safe on its own: `PostgreSQLRegistry`
/// serialises all use of it behind a lock. The connection is closed (PQfinish) on deinit.
///
/// Only `PQexecParams` is used: one statement per call, values as parameters, text results
/// (bytea decoded with `PQunescapeBytea`, which understands both hex and escape output).
final class PostgresConnection {
    /// The connection URL with its password removed: safe for error messages and logs.
    let displayURL: String
    private let handle: OpaquePointer
    /// What to blank out of libpq messages: the connection string (libpq echoes a malformed
    /// URL in its errors) becomes `displayURL`, the password `***`.
    private let scrubbing: [(String, String)]

    /// Connects to `url` (`postgres://` or `postgresql://` URL, or a libpq `key=value` string).
    /// Unless the URL says otherwise, connecting gives up after 10 s. The client encoding is
    /// always UTF-8 and server notices are not printed.
    init(url: String) throws {
        let redacted = PostgresURL.redact(url)
        displayURL = redacted.display
        scrubbing = [(url, redacted.display), (PostgresURL.normalizingScheme(url), redacted.display)]
            + redacted.secrets.map { ($0, "***") }

        // Entries before the URL are defaults it may override; entries after it always win.
        let parameters: [(String, String)] = [
            ("connect_timeout", "10"),
            ("fallback_application_name", "hallmark"),
            ("dbname", PostgresURL.normalizingScheme(url)),
            ("client_encoding", "UTF8"),
        ]
        let keywords = parameters.map { strdup($0.0) } + [nil]
        let values = parameters.map { strdup($0.1) } + [nil]
        defer {
            keywords.forEach { free($0) }
            values.forEach { free($0) }
        }
        let connection = PQconnectdbParams(
            keywords.map { $0.map { UnsafePointer($0) } }, values.map { $0.map { UnsafePointer($0) } }, 1)
        guard let connection else {
            throw PostgresError(kind: .connect, message: "out of memory", sqlState: nil)
        }
        guard PQstatus(connection) == CONNECTION_OK else {
            let message = Self.oneLine(String(cString: PQerrorMessage(connection)), scrubbing: scrubbing)
            PQfinish(connection)
            throw PostgresError(kind: .connect, message: message, sqlState: nil)
        }
        handle = connection
        cpostgres_silence_notices(connection)
    }

    deinit {
        PQfinish(handle)
    }

    /// Runs one statement with `$1…$n` bound to `parameters` and returns its result.
    /// A connection that broke earlier is re-established first (once per call); a statement
    /// that fails is never retried, since it may have taken effect before the connection broke.
    @discardableResult
    func query(_ sql: String, _ parameters: [PostgresParameter] = []) throws -> PostgresResult {
        try reconnectIfBroken()
        guard parameters.count <= Int(Int32.max) else {
            throw PostgresError(kind: .query, message: "too many parameters", sqlState: nil)
        }

        var values: [UnsafeMutablePointer<CChar>?] = []
        var lengths: [Int32] = []
        var formats: [Int32] = []
        defer { values.forEach { free($0) } }
        for parameter in parameters {
            switch parameter {
            case .null:
                values.append(nil)
                lengths.append(0)
                formats.append(0)
            case .text(let text):
                // A C string ends at the first NUL; PostgreSQL text cannot hold NUL anyway.
                guard !text.utf8.contains(0) else {
                    throw PostgresError(
                        kind: .query, message: "a text value contains a NUL character, which PostgreSQL cannot store",
                        sqlState: nil)
                }
                values.append(strdup(text))
                lengths.append(0)
                formats.append(0)
            case .bytes(let data):
                guard data.count <= Int(Int32.max) else {
                    throw PostgresError(kind: .query, message: "a bytea value is larger than 2 GiB", sqlState: nil)
                }
                // Non-null even when empty: a null pointer would mean SQL NULL.
                let buffer = malloc(max(data.count, 1))!.assumingMemoryBound(to: CChar.self)
                data.withUnsafeBytes { bytes in
                    if let base = bytes.baseAddress { memcpy(buffer, base, bytes.count) }
                }
                values.append(buffer)
                lengths.append(Int32(data.count))
                formats.append(1)
            }
        }

        let result = PQexecParams(
            handle, sql, Int32(parameters.count), nil,
            values.map { $0.map { UnsafePointer($0) } }, lengths, formats, 0)
        guard let result else {
            throw PostgresError(kind: .query, message: connectionErrorMessage(), sqlState: nil)
        }
        let status = PQresultStatus(result)
        guard status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK else {
            let error = queryError(result)
            PQclear(result)
            throw error
        }
        return PostgresResult(handle: result)
    }

    /// Runs `body` between `begin` (e.g. "BEGIN ISOLATION LEVEL READ COMMITTED") and COMMIT;
    /// any error rolls the transaction back.
    func transaction<T>(_ begin: String = "BEGIN", _ body: () throws -> T) throws -> T {
        try query(begin)
        do {
            let result = try body()
            let commit = try query("COMMIT")
            // COMMIT of a transaction that already failed "succeeds" as ROLLBACK.
            guard commit.commandStatus == "COMMIT" else {
                throw PostgresError(kind: .query, message: "the transaction was rolled back", sqlState: nil)
            }
            return result
        } catch {
            if PQtransactionStatus(handle) != PQTRANS_IDLE {
                PQclear(PQexec(handle, "ROLLBACK"))
            }
            throw error
        }
    }

    /// The server's major version × 10000 + minor (e.g. 150018), for diagnostics.
    var serverVersion: Int { Int(PQserverVersion(handle)) }

    // MARK: Internals

    private func reconnectIfBroken() throws {
        guard PQstatus(handle) != CONNECTION_OK else { return }
        PQreset(handle)
        guard PQstatus(handle) == CONNECTION_OK else {
            throw PostgresError(kind: .connect, message: "reconnecting failed: \(connectionErrorMessage())", sqlState: nil)
        }
    }

    private func connectionErrorMessage() -> String {
        Self.oneLine(String(cString: PQerrorMessage(handle)), scrubbing: scrubbing)
    }

    private func queryError(_ result: OpaquePointer) -> PostgresError {
        func field(_ code: Int32) -> String? {
            guard let text = PQresultErrorField(result, code) else { return nil }
            return String(cString: text)
        }
        var message = field(cpostgres_diag_message_primary())
            ?? String(cString: PQresultErrorMessage(result))
        if message.isEmpty { message = connectionErrorMessage() }
        if let detail = field(cpostgres_diag_message_detail()), !detail.isEmpty {
            message += " (\(detail))"
        }
        return PostgresError(
            kind: .query, message: Self.oneLine(message, scrubbing: scrubbing), sqlState: field(cpostgres_diag_sqlstate()))
    }

    /// Collapses libpq's multi-line, tab-indented messages into one trimmed line and replaces
    /// every secret (longest first; passwords shorter than 3 characters are not searched for,
    /// as they would mangle ordinary words).
    static func oneLine(_ message: String, scrubbing replacements: [(String, String)]) -> String {
        var text = message
        for (secret, replacement) in replacements.sorted(by: { $0.0.count > $1.0.count }) where secret.count >= 3 {
            text = text.replacingOccurrences(of: secret, with: replacement)
        }
        // Also collapses the double space libpq puts after "FATAL:" and "ERROR:".
        return text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\r" || $0 == "\t" })
            .joined(separator: " ")
    }
}

/// The result of one successful statement. Rows and columns are 0-based; values come in text format.
final class PostgresResult {
    private let handle: OpaquePointer

    fileprivate init(handle: OpaquePointer) {
        self.handle = handle
    }

    deinit {
        PQclear(handle)
    }

    var rowCount: Int { Int(PQntuples(handle)) }

    /// The command tag, e.g. "INSERT 0 1" or "COMMIT".
    var commandStatus: String { String(cString: PQcmdStatus(handle)) }

    func isNull(_ row: Int, _ column: Int) -> Bool {
        PQgetisnull(handle, Int32(row), Int32(column)) == 1
    }

    func text(_ row: Int, _ column: Int) -> String? {
        guard !isNull(row, column), let value = PQgetvalue(handle, Int32(row), Int32(column)) else { return nil }
        let length = Int(PQgetlength(handle, Int32(row), Int32(column)))
        return value.withMemoryRebound(to: UInt8.self, capacity: length) {
            String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self)
        }
    }

    /// An integer column (smallint, integer, bigint); nil for NULL or anything unparsable.
    func int64(_ row: Int, _ column: Int) -> Int64? {
        text(row, column).flatMap { Int64($0) }
    }

    func bool(_ row: Int, _ column: Int) -> Bool? {
        text(row, column).map { $0 == "t" }
    }

    /// A bytea column; nil for NULL (and for text that is not bytea output).
    func bytes(_ row: Int, _ column: Int) -> Data? {
        guard !isNull(row, column), let value = PQgetvalue(handle, Int32(row), Int32(column)) else { return nil }
        var length = 0
        let decoded = value.withMemoryRebound(to: UInt8.self, capacity: 1) { PQunescapeBytea($0, &length) }
        guard let decoded else { return nil }
        defer { PQfreemem(decoded) }
        return Data(bytes: decoded, count: length)
    }
}

/// Connection-string handling that must happen before libpq sees the string.
enum PostgresURL {
    /// libpq recognises only the lower-case `postgresql://` and `postgres://` prefixes, while
    /// `RegistryLocation.parse` accepts any case: lower-case the scheme, leave the rest alone.
    static func normalizingScheme(_ url: String) -> String {
        guard let range = url.range(of: "://") else { return url }
        let scheme = url[..<range.lowerBound]
        guard ["postgres", "postgresql"].contains(scheme.lowercased()) else { return url }
        return scheme.lowercased() + url[range.lowerBound...]
    }

    /// `url` without its password (for messages), and the password as written and percent-decoded.
    static func redact(_ url: String) -> (display: String, secrets: [String]) {
        var secrets: [String] = []
        func addSecret(_ raw: Substring) {
            guard !raw.isEmpty else { return }
            secrets.append(String(raw))
            if let decoded = raw.removingPercentEncoding, decoded != String(raw) { secrets.append(decoded) }
        }

        guard let schemeEnd = url.range(of: "://") else {
            // A key=value connection string: blank the value of password=…
            return (redactKeyValuePassword(url, addSecret: addSecret), secrets)
        }

        var display = String(url[..<schemeEnd.upperBound]).lowercased()
        var rest = url[schemeEnd.upperBound...]
        // libpq: the user-info part ends at the first '@', unless a '/' comes first.
        if let at = rest.firstIndex(where: { $0 == "@" || $0 == "/" }), rest[at] == "@" {
            let userInfo = rest[..<at]
            if let colon = userInfo.firstIndex(of: ":") {
                addSecret(userInfo[userInfo.index(after: colon)...])
                display += userInfo[..<colon]
            } else {
                display += userInfo
            }
            display += "@"
            rest = rest[rest.index(after: at)...]
        }
        if let question = rest.firstIndex(of: "?") {
            display += rest[..<question]
            let pairs = rest[rest.index(after: question)...].split(separator: "&", omittingEmptySubsequences: false)
            let kept = pairs.map { pair -> String in
                guard let equals = pair.firstIndex(of: "="),
                      pair[..<equals].removingPercentEncoding?.lowercased() == "password"
                else { return String(pair) }
                addSecret(pair[pair.index(after: equals)...])
                return pair[...equals] + "***"
            }
            display += "?" + kept.joined(separator: "&")
        } else {
            display += rest
        }
        return (display, secrets)
    }

    private static func redactKeyValuePassword(_ text: String, addSecret: (Substring) -> Void) -> String {
        guard let expression = try? NSRegularExpression(
            pattern: #"(\bpassword\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s']\S*)"#, options: [.caseInsensitive])
        else { return text }
        let whole = NSRange(text.startIndex..., in: text)
        for match in expression.matches(in: text, range: whole) {
            if let range = Range(match.range(at: 2), in: text) {
                var value = text[range]
                if value.hasPrefix("'"), value.hasSuffix("'"), value.count >= 2 {
                    value = value.dropFirst().dropLast()
                }
                addSecret(value)
            }
        }
        return expression.stringByReplacingMatches(in: text, range: whole, withTemplate: "$1***")
    }
}
