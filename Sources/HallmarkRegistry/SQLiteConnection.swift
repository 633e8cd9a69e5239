import Foundation
internal import CSQLite

/// A thin wrapper around one `sqlite3*` handle. Not thread-safe on its own: `SQLiteRegistry`
/// serialises all use of it behind a lock. The handle is closed on deinit.
final class SQLiteConnection {
    /// Absolute path of the database file; used in error messages.
    let path: String
    private let handle: OpaquePointer

    /// Opens an existing file read-write (read-only if the file is write-protected).
    /// Never creates a file: creation, with the right mode, is `SQLiteRegistry`'s job.
    init(path: String, busyTimeoutMilliseconds: Int32) throws {
        self.path = path
        var db: OpaquePointer?
        // FULLMUTEX costs little and keeps the handle safe even if the outer lock were bypassed.
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(rc))
            sqlite3_close_v2(db)  // the handle is allocated even when opening fails
            throw RegistryError.cannotOpen(path: path, message: message)
        }
        handle = db
        sqlite3_extended_result_codes(db, 1)
        sqlite3_busy_timeout(db, busyTimeoutMilliseconds)
    }

    deinit {
        sqlite3_close_v2(handle)
    }

    /// True when SQLite fell back to read-only access (write-protected file).
    var isReadOnly: Bool { sqlite3_db_readonly(handle, "main") == 1 }

    /// Runs parameterless SQL (may contain several statements). Never put values into `sql`:
    /// use `prepare` and bind them.
    func execute(_ sql: String) throws {
        let rc = sqlite3_exec(handle, sql, nil, nil, nil)
        guard rc == SQLITE_OK else { throw error(rc) }
    }

    /// Compiles one statement. The statement is finalized when the returned object goes away;
    /// prefer `withStatement`, which finalizes it deterministically.
    func prepare(_ sql: String) throws -> SQLiteStatement {
        var stmt: OpaquePointer?
        let rc = sqlite3_prepare_v2(handle, sql, -1, &stmt, nil)
        guard rc == SQLITE_OK, let stmt else {
            sqlite3_finalize(stmt)
            throw error(rc)
        }
        return SQLiteStatement(connection: self, handle: stmt)
    }

    func withStatement<T>(_ sql: String, _ body: (SQLiteStatement) throws -> T) throws -> T {
        let statement = try prepare(sql)
        defer { statement.finalize() }
        return try body(statement)
    }

    /// Runs `body` inside `BEGIN IMMEDIATE … COMMIT`: the write lock is taken up front (waiting
    /// up to the busy timeout), so concurrent writers queue instead of failing with SQLITE_BUSY
    /// half-way. Any error rolls the transaction back.
    func immediateTransaction<T>(_ body: () throws -> T) throws -> T {
        try execute("BEGIN IMMEDIATE")
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            if sqlite3_get_autocommit(handle) == 0 {
                _ = sqlite3_exec(handle, "ROLLBACK", nil, nil, nil)
            }
            throw error
        }
    }

    /// The result code of the last failure `error(_:)` turned into a `RegistryError`.
    private(set) var lastFailure: Int32 = SQLITE_OK

    /// Runs `body`, again after a short pause while it fails with SQLITE_BUSY, for up to
    /// `milliseconds`. The busy timeout does not cover every lock conflict: SQLite answers
    /// SQLITE_BUSY at once where waiting could deadlock (a connection holding a read lock asks
    /// for the write lock while another holds it and waits for the readers to leave), which is
    /// what several processes opening a new registry and switching it to WAL at once run into.
    func retryingWhileBusy<T>(for milliseconds: Int32, _ body: () throws -> T) throws -> T {
        let deadline = Date().addingTimeInterval(Double(milliseconds) / 1000)
        var pause = 0.005
        while true {
            lastFailure = SQLITE_OK
            do {
                return try body()
            } catch {
                guard lastFailure & 0xFF == SQLITE_BUSY, Date().addingTimeInterval(pause) < deadline else { throw error }
                if sqlite3_get_autocommit(handle) == 0 { _ = sqlite3_exec(handle, "ROLLBACK", nil, nil, nil) }
                Thread.sleep(forTimeInterval: pause)
                pause = min(pause * 2, 0.2)
            }
        }
    }

    /// Turns the result code of the last failed call into a `RegistryError`.
    func error(_ code: Int32) -> RegistryError {
        lastFailure = code
        let message = String(cString: sqlite3_errmsg(handle))
        switch code & 0xFF {
        case SQLITE_NOTADB, SQLITE_CORRUPT:
            return .notADatabase(path: path, message: message)
        default:
            return .database(path: path, message: "\(message) (SQLite code \(code))")
        }
    }
}

/// One prepared statement. Bind parameters are 1-based, result columns 0-based (as in SQLite).
final class SQLiteStatement {
    private let connection: SQLiteConnection
    private var handle: OpaquePointer?

    fileprivate init(connection: SQLiteConnection, handle: OpaquePointer) {
        self.connection = connection
        self.handle = handle
    }

    deinit { finalize() }

    func finalize() {
        if let handle { sqlite3_finalize(handle) }
        handle = nil
    }

    private var live: OpaquePointer {
        guard let handle else { preconditionFailure("SQLiteStatement used after finalize()") }
        return handle
    }

    // MARK: Binding

    func bind(_ index: Int32, _ value: Int64) throws {
        try check(sqlite3_bind_int64(live, index, value))
    }

    func bind(_ index: Int32, _ value: String?) throws {
        guard let value else { return try check(sqlite3_bind_null(live, index)) }
        let length = value.utf8.count
        guard length <= Int32.max else { throw RegistryError.invalidRecord("text value too long") }
        // Explicit byte length: embedded NUL characters survive. `withCString` never passes a
        // null pointer, so an empty string stays an empty string rather than becoming NULL.
        try check(value.withCString { sqlite3_bind_text(live, index, $0, Int32(length), csqlite_transient()) })
    }

    func bind(_ index: Int32, _ value: Data?) throws {
        guard let value else { return try check(sqlite3_bind_null(live, index)) }
        if value.isEmpty {
            // sqlite3_bind_blob with a null pointer would store NULL; keep "empty" distinct.
            return try check(sqlite3_bind_zeroblob(live, index, 0))
        }
        try check(value.withUnsafeBytes {
            sqlite3_bind_blob64(live, index, $0.baseAddress, sqlite3_uint64($0.count), csqlite_transient())
        })
    }

    // MARK: Stepping

    /// Makes the statement ready to run again (bindings stay until rebound).
    func reset() {
        sqlite3_reset(live)
    }

    /// Advances the statement: true when a row is available, false when done.
    @discardableResult
    func step() throws -> Bool {
        let rc = sqlite3_step(live)
        lastResultCode = rc
        switch rc {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default: throw connection.error(rc)
        }
    }

    /// The (extended) result code of the last `step`, for callers that treat some failures specially.
    private(set) var lastResultCode: Int32 = SQLITE_OK

    /// True when the last `step` failed on a PRIMARY KEY or UNIQUE constraint.
    var lastStepViolatedUniqueness: Bool {
        // The extended-code macros use an expression Swift cannot import; these are their values.
        let primaryKey = SQLITE_CONSTRAINT | (6 << 8)  // SQLITE_CONSTRAINT_PRIMARYKEY
        let unique = SQLITE_CONSTRAINT | (8 << 8)      // SQLITE_CONSTRAINT_UNIQUE
        return lastResultCode == primaryKey || lastResultCode == unique
    }

    // MARK: Reading columns

    func isNull(_ column: Int32) -> Bool { sqlite3_column_type(live, column) == SQLITE_NULL }

    func isInteger(_ column: Int32) -> Bool { sqlite3_column_type(live, column) == SQLITE_INTEGER }

    func int64(_ column: Int32) -> Int64 { sqlite3_column_int64(live, column) }

    func text(_ column: Int32) -> String? {
        guard !isNull(column), let bytes = sqlite3_column_text(live, column) else { return nil }
        let count = Int(sqlite3_column_bytes(live, column))
        return String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self)
    }

    func blob(_ column: Int32) -> Data? {
        guard !isNull(column) else { return nil }
        // Zero-length blobs come back as a null pointer.
        guard let bytes = sqlite3_column_blob(live, column) else { return Data() }
        return Data(bytes: bytes, count: Int(sqlite3_column_bytes(live, column)))
    }

    private func check(_ rc: Int32) throws {
        guard rc == SQLITE_OK else { throw connection.error(rc) }
    }
}
