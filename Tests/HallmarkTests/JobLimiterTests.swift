import Foundation
import Testing
@testable import HallmarkService

/// The service's admission control and helpers, in-process (no server, no media).
struct JobLimiterTests {
    @Test func admitsJobsPlusQueueThenRefuses() async {
        let limiter = JobLimiter(jobs: 2, queue: 1)
        #expect(await limiter.admit())
        #expect(await limiter.admit())
        #expect(await limiter.admit())
        #expect(await limiter.admit() == false, "a fourth request finds every place taken")
        await limiter.leave()
        #expect(await limiter.admit(), "a place given back is taken again")
    }

    @Test func runsAtMostJobsAtOnce() async throws {
        let limiter = JobLimiter(jobs: 2, queue: 8)
        let peak = Peak()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<8 {
                #expect(await limiter.admit())
                group.addTask {
                    try await limiter.withJob {
                        await peak.enter()
                        try await Task.sleep(for: .milliseconds(20))
                        await peak.leave()
                    }
                    await limiter.leave()
                }
            }
            try await group.waitForAll()
        }
        #expect(await peak.highest == 2)
        #expect(await limiter.running == 0)
        #expect(await limiter.admitted == 0)
    }

    @Test func aCancelledWaiterGivesUpItsTurn() async throws {
        let limiter = JobLimiter(jobs: 1, queue: 1)
        let (held, release) = AsyncStream.makeStream(of: Void.self)
        let holder = Task { try await limiter.withJob { for await _ in held { break } } }
        while await limiter.running == 0 { await Task.yield() }
        let waiter = Task { try await limiter.withJob { } }
        try await Task.sleep(for: .milliseconds(20))
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        release.yield()
        try await holder.value
        #expect(await limiter.running == 0)
    }

    @Test func bearerTokensAreCheckedExactly() {
        let tokens = BearerTokens(["alpha", "beta-2"])
        #expect(tokens.accepts(authorization: "Bearer alpha"))
        #expect(tokens.accepts(authorization: "bearer beta-2"))
        #expect(!tokens.accepts(authorization: "Bearer alph"))
        #expect(!tokens.accepts(authorization: "Bearer alphaa"))
        #expect(!tokens.accepts(authorization: "Basic alpha"))
        #expect(!tokens.accepts(authorization: nil))
        #expect(!BearerTokens([]).accepts(authorization: "Bearer "))
    }

    @Test func listenAddressesParse() {
        #expect(parseListenAddress("127.0.0.1:8080").map { "\($0.host) \($0.port)" } == "127.0.0.1 8080")
        #expect(parseListenAddress("[::1]:0").map { "\($0.host) \($0.port)" } == "::1 0")
        #expect(parseListenAddress("localhost:9").map { "\($0.host) \($0.port)" } == "127.0.0.1 9")
        #expect(parseListenAddress("8080") == nil)
        #expect(parseListenAddress("host:99999") == nil)
    }

    @Test func routesAnswer405ForKnownPaths() {
        #expect(HallmarkAPI.allowedMethods(path: "/v1/verify") == ["POST"])
        #expect(HallmarkAPI.allowedMethods(path: "/v1/marks/0123456789abcdef") == ["GET"])
        #expect(HallmarkAPI.allowedMethods(path: "/v1/marks/") == nil)
        #expect(HallmarkAPI.allowedMethods(path: "/nothing") == nil)
    }

    @Test func bindingValuesDecode() {
        #expect(HallmarkAPI.base64Bytes("AAECAwQFBgc=") == [0, 1, 2, 3, 4, 5, 6, 7])
        #expect(HallmarkAPI.base64Bytes("AAECAwQFBgc") == [0, 1, 2, 3, 4, 5, 6, 7], "padding optional")
        #expect(HallmarkAPI.base64Bytes("__8") == [0xff, 0xff], "URL-safe alphabet")
        #expect(HallmarkAPI.base64Bytes("%%%") == nil)
    }

    actor Peak {
        var current = 0, highest = 0
        func enter() { current += 1; highest = max(highest, current) }
        func leave() { current -= 1 }
    }
}
