import Foundation
import Hallmark
import HallmarkRegistry

/// Everything `hallmark serve` is started with.
public struct ServerConfiguration: Sendable {
    public var host: String = "127.0.0.1"
    /// 0 picks a free port (the one bound is reported through `onListening`).
    public var port: Int = 8080
    public var home: HallmarkHome
    public var registryLocation: RegistryLocation?
    /// Bearer tokens accepted on the /v1/ endpoints.
    public var tokens: BearerTokens
    /// Uploads larger than this are refused with 413.
    public var maxUploadBytes: Int = 512 << 20
    /// Verifications run at once (each is CPU-bound and already uses several cores).
    public var jobs: Int = 1
    /// Uploads admitted beyond `jobs` (receiving their body or waiting for a job); more get 429.
    public var queue: Int = 4
    /// Whole-request time limit of the verifying endpoints (upload + wait + verify).
    public var requestTimeout: Duration = .seconds(120)
    /// Seconds a client is told to wait (`Retry-After`) when the queue is full.
    public var retryAfterSeconds: Int = 2
    /// Options of the verifier every request shares (threshold, trust anchors, ...).
    public var verifyOptions: VerifyOptions = VerifyOptions()

    public init(home: HallmarkHome, tokens: BearerTokens) {
        self.home = home
        self.tokens = tokens
    }
}

/// Parses `HOST:PORT` (`[::1]:8080` for IPv6).
public func parseListenAddress(_ text: String) -> (host: String, port: Int)? {
    var host: Substring
    let portText: Substring
    if text.hasPrefix("[") {
        guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else { return nil }
        host = text[text.index(after: text.startIndex)..<close]
        portText = text[text.index(close, offsetBy: 2)...]
    } else {
        guard let colon = text.lastIndex(of: ":") else { return nil }
        host = text[..<colon]
        portText = text[text.index(after: colon)...]
    }
    guard !host.isEmpty, let port = Int(portText), (0...65535).contains(port) else { return nil }
    if host == "localhost" { host = "127.0.0.1" }
    return (String(host), port)
}
