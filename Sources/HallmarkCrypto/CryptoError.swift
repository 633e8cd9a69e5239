internal import COpenSSL

/// A failure in a cryptographic operation, with OpenSSL's reason when it gave one.
public struct CryptoError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }

    /// The message followed by the most recent OpenSSL error; clears OpenSSL's error queue.
    static func openSSL(_ message: String) -> CryptoError {
        var last: UInt = 0
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            last = code
        }
        guard last != 0 else { return CryptoError(message) }
        var buffer = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(last, &buffer, buffer.count)
        let reason = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return CryptoError("\(message) (\(reason))")
    }
}

/// Owns a memory BIO.
final class MemoryBIO {
    let bio: OpaquePointer

    init() throws {
        guard let bio = BIO_new(BIO_s_mem()) else { throw CryptoError.openSSL("cannot allocate a BIO") }
        self.bio = bio
    }

    init(_ bytes: [UInt8]) throws {
        guard bytes.count < Int(Int32.max) else { throw CryptoError("input too large") }
        // BIO_new_mem_buf keeps a pointer, so copy into a writable BIO instead.
        guard let bio = BIO_new(BIO_s_mem()) else { throw CryptoError.openSSL("cannot allocate a BIO") }
        self.bio = bio
        if !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { BIO_write(bio, $0.baseAddress, Int32($0.count)) }
            guard written == Int32(bytes.count) else { throw CryptoError.openSSL("cannot fill a BIO") }
        }
    }

    deinit { BIO_free(bio) }

    var contents: [UInt8] {
        var pointer: UnsafeMutablePointer<CChar>?
        let length = shim_BIO_get_mem_data(bio, &pointer)
        guard let pointer, length > 0 else { return [] }
        return [UInt8](UnsafeRawBufferPointer(start: pointer, count: Int(length)))
    }
}

/// Cryptographically secure random bytes.
public func secureRandomBytes(_ count: Int) -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: count)
    if count > 0, RAND_bytes(&bytes, Int32(count)) != 1 {
        fatalError("OpenSSL RAND_bytes failed")
    }
    return bytes
}
