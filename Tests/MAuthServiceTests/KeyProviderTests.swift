import AsyncHTTPClient
import Foundation
import HTTPTypes
import InMemoryTracing
import Logging
import MAuth
import MAuthTestSupport
import MetricsTestKit
import NIOPosix
import Testing
import Tracing

@testable import MAuthService

@Suite("MAuth service key provider: fetching and caching", .serialized)
struct KeyProviderTests {
    static func signedHeaders(_ app: (appUUID: String, key: MAuthPrivateKey), versions: [MAuthProtocolVersion] = [.v2])
        throws
        -> HTTPFields
    {
        try MAuthSigner(appUUID: app.appUUID, privateKey: app.key, versions: versions)
            .headers(method: "GET", target: MAuthRequestTarget("/items?a=1"), body: [UInt8]())
    }

    @Test("a registered app's key authenticates its requests; an unknown app is inauthentic")
    func lookup() async throws {
        let service = try await InstrumentedService()
        let app = try service.registerApp()
        let authenticator = MAuthAuthenticator(keyProvider: service.keyProvider())
        for versions in [[MAuthProtocolVersion.v1], [.v2]] {
            let identity = try await authenticator.authenticate(
                method: "GET", target: MAuthRequestTarget("/items?a=1"),
                headers: Self.signedHeaders(app, versions: versions),
                body: [UInt8]()
            )
            #expect(identity == MAuthIdentity(appUUID: app.appUUID, version: versions[0]))
        }
        #expect(try await service.keyProvider().publicKey(forAppUUID: "unknown-app") == nil)
        try await service.stop()
    }

    @Test("keys live for the response's max-age, per entry")
    func timeToLive() async throws {
        let service = try await InstrumentedService(maxAge: 1)
        let app = try service.registerApp()
        let time = ManualClock()
        let provider = service.keyProvider(.init(refreshAhead: 0), clock: time.clock)
        _ = try await provider.publicKey(forAppUUID: app.appUUID)
        time.advance(by: .milliseconds(900))
        _ = try await provider.publicKey(forAppUUID: app.appUUID)
        #expect(service.switchboard.securityTokenRequests == 1)
        time.advance(by: .milliseconds(200))
        _ = try await provider.publicKey(forAppUUID: app.appUUID)
        #expect(service.switchboard.securityTokenRequests == 2)
        try await service.stop()
    }

    @Test("a rotated key authenticates at once although the old one is cached for an hour")
    func rotation() async throws {
        let service = try await InstrumentedService(maxAge: 3600)
        let app = try service.registerApp()
        let provider = service.keyProvider(clock: ManualClock().clock)
        let authenticator = MAuthAuthenticator(keyProvider: provider)
        let target = MAuthRequestTarget("/items?a=1")
        _ = try await authenticator.authenticate(
            method: "GET", target: target, headers: Self.signedHeaders(app), body: [UInt8]())
        let rotated = try service.rotateKey(of: app.appUUID)
        for versions in [[MAuthProtocolVersion.v2], [.v1]] {
            let identity = try await authenticator.authenticate(
                method: "GET", target: target, headers: Self.signedHeaders((app.appUUID, rotated), versions: versions),
                body: [UInt8]())
            #expect(identity == MAuthIdentity(appUUID: app.appUUID, version: versions[0]))
        }
        #expect(service.switchboard.securityTokenRequests == 2, "one fetch to cache, one after the rotation")
        await #expect(throws: MAuthError.self, "the old key no longer signs for the app") {
            try await authenticator.authenticate(
                method: "GET", target: target, headers: Self.signedHeaders(app), body: [UInt8]())
        }
        try await service.stop()
    }

    @Test("a key looked up in the last tenth of its life is fetched again in the background; no lookup waits at expiry")
    func refreshAhead() async throws {
        let service = try await InstrumentedService(maxAge: 100)
        let app = try service.registerApp()
        let time = ManualClock()
        let metrics = TestMetrics()
        let provider = MAuthServiceKeyProvider(client: service.client(), clock: time.clock, metricsFactory: metrics)
        let key = try await provider.publicKey(forAppUUID: app.appUUID)
        time.advance(by: .seconds(89))
        _ = try await provider.publicKey(forAppUUID: app.appUUID)
        await provider.fetchesFinished()
        #expect(service.switchboard.securityTokenRequests == 1, "not yet in the last tenth")
        time.advance(by: .seconds(2))
        let rotated = try service.rotateKey(of: app.appUUID)
        #expect(try await provider.publicKey(forAppUUID: app.appUUID) == key, "the cached key is served meanwhile")
        #expect(try await provider.publicKey(forAppUUID: app.appUUID) == key)
        await provider.fetchesFinished()
        #expect(service.switchboard.securityTokenRequests == 2, "one refresh, however many lookups")
        time.advance(by: .seconds(10))
        #expect(try await provider.publicKey(forAppUUID: app.appUUID) == rotated.publicKey, "past the old expiry")
        #expect(try metrics.expectCounter("mauth_key_cache_hits_total").totalValue == 4)
        #expect(try metrics.expectCounter("mauth_key_cache_misses_total").totalValue == 1)
        #expect(try metrics.expectCounter("mauth_key_refreshes_total").totalValue == 1)
        #expect(try metrics.expectTimer("mauth_key_fetch_duration_seconds").values.count == 2)

        service.switchboard.inject(.status(.serviceUnavailable))
        time.advance(by: .seconds(85))
        #expect(try await provider.publicKey(forAppUUID: app.appUUID) == rotated.publicKey)
        await provider.fetchesFinished()
        #expect(try metrics.expectCounter("mauth_key_fetch_failures_total").totalValue == 1)
        #expect(
            try await provider.publicKey(forAppUUID: app.appUUID) == rotated.publicKey,
            "a failed refresh leaves the key served until it expires")
        #expect(service.switchboard.securityTokenRequests == 3, "and is not tried again before it expires")
        try await service.stop()
    }

    @Test("a key fetch is a span, and AsyncHTTPClient's client span beneath it carries the trace to the MAuth service")
    func fetchSpan() async throws {
        let service = try await InstrumentedService()
        let app = try service.registerApp()
        let tracer = InMemoryTracer()
        var configuration = HTTPClient.Configuration()
        configuration.tracing.tracer = tracer
        let httpClient = HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: configuration)
        let provider = MAuthServiceKeyProvider(
            client: MAuthServiceClient(
                baseURL: service.baseURL,
                signer: try MAuthSigner(appUUID: InstrumentedService.callerUUID, privateKey: Fixtures.privateKey),
                httpClient: httpClient))
        _ = try await withTracer(tracer) {
            try await withSpan("request") { _ in try await provider.publicKey(forAppUUID: app.appUUID) }
        }
        try await httpClient.shutdown()
        let request = try #require(tracer.finishedSpans.first { $0.operationName == "request" })
        let fetch = try #require(tracer.finishedSpans.first { $0.operationName == "mauth.service GET" })
        #expect(fetch.spanContext.parentSpanID == request.spanContext.spanID)
        #expect(fetch.attributes.get("http.response.status_code") == .int64(200))
        let call = try #require(tracer.finishedSpans.first { $0.kind == .client }, "AsyncHTTPClient's span")
        #expect(call.spanContext.parentSpanID == fetch.spanContext.spanID)
        let injected = try #require(tracer.performedContextInjections.first)
        #expect(injected.values[InMemoryTracer.spanIDKey] == call.spanContext.spanID)
        try await service.stop()
    }

    @Test("a burst of forged signatures fetches an app's key again at most once per interval")
    func forgedBurst() async throws {
        let service = try await InstrumentedService(maxAge: 3600)
        let app = try service.registerApp()
        let time = ManualClock()
        let metrics = TestMetrics()
        let provider = MAuthServiceKeyProvider(
            client: service.client(), cachePolicy: .init(refetchInterval: .seconds(30)), clock: time.clock,
            metricsFactory: metrics)
        let authenticator = MAuthAuthenticator(keyProvider: provider)
        let target = MAuthRequestTarget("/items?a=1")
        _ = try await authenticator.authenticate(
            method: "GET", target: target, headers: Self.signedHeaders(app), body: [UInt8]())
        let forged = try Self.signedHeaders((app.appUUID, try MAuthPrivateKey.generate()), versions: [.v1, .v2])
        func burst() async -> Int {
            await withTaskGroup(of: Bool.self) { group in
                for _ in 0..<1000 {
                    group.addTask {
                        (try? await authenticator.authenticate(
                            method: "GET", target: target, headers: forged, body: [UInt8]())) == nil
                    }
                }
                return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
        }
        #expect(await burst() == 1000)
        #expect(service.switchboard.securityTokenRequests == 2, "the first forged request fetched once")
        time.advance(by: .seconds(29))
        #expect(await burst() == 1000)
        #expect(service.switchboard.securityTokenRequests == 2, "within the interval: no fetch")
        time.advance(by: .seconds(2))
        #expect(await burst() == 1000)
        #expect(service.switchboard.securityTokenRequests == 3, "past the interval: one more")
        #expect(try metrics.expectCounter("mauth_key_refetches_total").totalValue == 2)
        try await service.stop()
    }

    @Test("max-age is read in its quoted form, and no key outlives the maximum time to live")
    func cacheControlForms() async throws {
        let service = try await InstrumentedService()
        let app = try service.registerApp()
        service.switchboard.inject(.cacheControl(#"private, max-age="1""#))
        let time = ManualClock()
        let quoted = service.keyProvider(clock: time.clock)
        _ = try await quoted.publicKey(forAppUUID: app.appUUID)
        time.advance(by: .milliseconds(1100))
        _ = try await quoted.publicKey(forAppUUID: app.appUUID)
        #expect(service.switchboard.securityTokenRequests == 2)

        service.switchboard.inject(.cacheControl("max-age=99999999999999999999999999"))
        let capped = service.keyProvider(.init(maximumTimeToLive: .seconds(300), refreshAhead: 0), clock: time.clock)
        _ = try await capped.publicKey(forAppUUID: app.appUUID)
        time.advance(by: .seconds(299))
        _ = try await capped.publicKey(forAppUUID: app.appUUID)
        #expect(service.switchboard.securityTokenRequests == 3)
        time.advance(by: .seconds(2))
        _ = try await capped.publicKey(forAppUUID: app.appUUID)
        #expect(service.switchboard.securityTokenRequests == 4)
        try await service.stop()
    }

    @Test(
        "a key answered with no-store or no-cache serves the lookup that fetched it and is not kept, nor served stale")
    func noStore() async throws {
        let service = try await InstrumentedService()
        let app = try service.registerApp()
        let provider = service.keyProvider(.init(staleIfErrorGracePeriod: .seconds(3600)))
        for directive in ["no-store", "private, no-cache"] {
            let before = service.switchboard.securityTokenRequests
            service.switchboard.inject(.cacheControl(directive))
            #expect(try await provider.publicKey(forAppUUID: app.appUUID) != nil)
            #expect(try await provider.publicKey(forAppUUID: app.appUUID) != nil)
            #expect(service.switchboard.securityTokenRequests == before + 2, "\(directive)")
        }
        service.switchboard.inject(.status(.serviceUnavailable))
        await #expect(throws: MAuthError.self) { try await provider.publicKey(forAppUUID: app.appUUID) }
        try await service.stop()
    }

    @Test("an answer carrying another app's key is refused, logged as an error and not kept")
    func anotherAppsKey() async throws {
        // The switchboard asks the service about another app than the signed request names.
        let service = try await InstrumentedService(requireSignedRequests: false)
        let victim = try service.registerApp()
        let attacker = try service.registerApp()
        let (logger, records) = RecordingLogHandler.logger()
        let provider = MAuthServiceKeyProvider(client: service.client(), logger: logger)
        let authenticator = MAuthAuthenticator(keyProvider: provider)
        service.switchboard.inject(.keyOfApp(attacker.appUUID), count: 1)
        let forged = try Self.signedHeaders((victim.appUUID, attacker.key))
        let error = await #expect(throws: MAuthError.self) {
            try await authenticator.authenticate(
                method: "GET", target: MAuthRequestTarget("/items?a=1"), headers: forged, body: [UInt8]())
        }
        #expect(error?.code == .unableToAuthenticate)
        #expect(
            records.all.contains {
                $0.level == .error && "\($0.metadata["answered_app_uuid"] ?? "")" == attacker.appUUID
            })
        let inauthentic = await #expect(throws: MAuthError.self) {
            try await authenticator.authenticate(
                method: "GET", target: MAuthRequestTarget("/items?a=1"), headers: forged, body: [UInt8]())
        }
        #expect(inauthentic?.code == .inauthentic, "the next lookup asks again and gets the victim's own key")
        let genuine = try await authenticator.authenticate(
            method: "GET", target: MAuthRequestTarget("/items?a=1"), headers: Self.signedHeaders(victim),
            body: [UInt8]())
        #expect(genuine.appUUID == victim.appUUID)
        try await service.stop()
    }

    @Test("an answer over 64 KiB is not read to its end")
    func oversizedAnswer() async throws {
        let service = try await InstrumentedService()
        let app = try service.registerApp()
        service.switchboard.inject(.oversizedAnswer, count: 1)
        let error = await #expect(throws: MAuthError.self) {
            try await service.keyProvider().publicKey(forAppUUID: app.appUUID)
        }
        #expect(error?.message.contains("answered over 64 KiB") == true, "\(error?.message ?? "")")
        try await service.stop()
    }

    @Test("a body that stalls after the response head is a timeout, not a hang")
    func stalledBody() async throws {
        let service = try await InstrumentedService()
        let app = try service.registerApp()
        service.switchboard.inject(.stalledBody, count: 1)
        let provider = MAuthServiceKeyProvider(client: service.client(timeout: .milliseconds(300)))
        let started = ContinuousClock.now
        let stalled = await #expect(throws: MAuthError.self) { try await provider.publicKey(forAppUUID: app.appUUID) }
        #expect(stalled?.code == .unableToAuthenticate)
        #expect(stalled?.message.contains("no complete answer within") == true, "\(stalled?.message ?? "")")
        #expect(started.duration(to: .now) < .seconds(1.5))
        #expect(try await provider.publicKey(forAppUUID: app.appUUID) != nil)
        try await service.stop()
    }

    @Test("lookups of more apps at once than the limit fail at once instead of queueing")
    func concurrentLookupLimit() async throws {
        let service = try await InstrumentedService()
        let first = try service.registerApp()
        let second = try service.registerApp()
        service.switchboard.delay(.milliseconds(500))
        let provider = service.keyProvider(.init(maximumConcurrentLookups: 1))
        async let slow = provider.publicKey(forAppUUID: first.appUUID)
        try await Task.sleep(for: .milliseconds(100))
        let refused = await #expect(throws: MAuthError.self) {
            try await provider.publicKey(forAppUUID: second.appUUID)
        }
        #expect(refused?.code == .unableToAuthenticate)
        #expect(refused?.message.hasPrefix("too many public keys are being fetched") == true)
        #expect(try await slow != nil)
        #expect(try await provider.publicKey(forAppUUID: second.appUUID) != nil)
        try await service.stop()
    }

    @Test("without Cache-Control the default time to live applies")
    func defaultTimeToLive() async throws {
        let service = try await InstrumentedService(maxAge: 3600)
        let app = try service.registerApp()
        service.switchboard.inject(.noCacheControl)
        let time = ManualClock()
        let provider = service.keyProvider(.init(defaultTimeToLive: .seconds(300), refreshAhead: 0), clock: time.clock)
        _ = try await provider.publicKey(forAppUUID: app.appUUID)
        time.advance(by: .seconds(299))
        _ = try await provider.publicKey(forAppUUID: app.appUUID)
        #expect(service.switchboard.securityTokenRequests == 1)
        time.advance(by: .seconds(2))
        _ = try await provider.publicKey(forAppUUID: app.appUUID)
        #expect(service.switchboard.securityTokenRequests == 2)
        try await service.stop()
    }

    @Test("1,000 simultaneous lookups of an uncached app cost one request")
    func coalescing() async throws {
        let service = try await InstrumentedService()
        let app = try service.registerApp()
        service.switchboard.delay(.milliseconds(200))
        let provider = service.keyProvider()
        let found = try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<1000 {
                group.addTask { try await provider.publicKey(forAppUUID: app.appUUID) != nil }
            }
            return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(found == 1000)
        #expect(service.switchboard.securityTokenRequests == 1)
        try await service.stop()
    }

    @Test("the cache keeps the most recently used keys up to its bound")
    func leastRecentlyUsed() async throws {
        let service = try await InstrumentedService()
        let apps = try (0..<3).map { _ in try service.registerApp() }
        let provider = service.keyProvider(.init(maximumEntries: 2))
        _ = try await provider.publicKey(forAppUUID: apps[0].appUUID)
        _ = try await provider.publicKey(forAppUUID: apps[1].appUUID)
        _ = try await provider.publicKey(forAppUUID: apps[0].appUUID)  // apps[1] is now the least recent
        _ = try await provider.publicKey(forAppUUID: apps[2].appUUID)  // evicts apps[1]
        #expect(provider.cachedKeyCount == 2)
        #expect(service.switchboard.securityTokenRequests == 3)
        _ = try await provider.publicKey(forAppUUID: apps[0].appUUID)
        #expect(service.switchboard.securityTokenRequests == 3)
        _ = try await provider.publicKey(forAppUUID: apps[1].appUUID)
        #expect(service.switchboard.securityTokenRequests == 4)
        try await service.stop()
    }

    @Test("failures are not cached")
    func failuresNotCached() async throws {
        let service = try await InstrumentedService()
        let app = try service.registerApp()
        let provider = service.keyProvider()
        service.switchboard.inject(.status(.badGateway), count: 1)
        let error = await #expect(throws: MAuthError.self) { try await provider.publicKey(forAppUUID: app.appUUID) }
        #expect(error?.code == .unableToAuthenticate)
        #expect(error?.message.hasPrefix("The mAuth service responded with 502") == true)
        #expect(try await provider.publicKey(forAppUUID: app.appUUID) != nil)
        #expect(service.switchboard.securityTokenRequests == 2)
        try await service.stop()
    }

    @Test("an expired key is served during the stale-if-error grace period, and not after")
    func staleIfError() async throws {
        let service = try await InstrumentedService(maxAge: 1)
        let app = try service.registerApp()
        let time = ManualClock()
        let provider = service.keyProvider(.init(staleIfErrorGracePeriod: .seconds(60)), clock: time.clock)
        _ = try await provider.publicKey(forAppUUID: app.appUUID)
        service.switchboard.inject(.status(.serviceUnavailable))
        time.advance(by: .seconds(1) + .seconds(59))
        #expect(try await provider.publicKey(forAppUUID: app.appUUID) != nil, "served stale")
        time.advance(by: .seconds(2))
        await #expect(throws: MAuthError.self) { try await provider.publicKey(forAppUUID: app.appUUID) }

        let strict = service.keyProvider(clock: time.clock)
        await #expect(throws: MAuthError.self) { try await strict.publicKey(forAppUUID: app.appUUID) }
        try await service.stop()
    }

    @Test("bad answers and an unreachable service are unable-to-authenticate, naming the cause")
    func failures() async throws {
        let service = try await InstrumentedService()
        let app = try service.registerApp()
        let cases: [(Switchboard.Fault, String)] = [
            (.status(.internalServerError), "The mAuth service responded with 500"),
            (.invalidJSON, "the MAuth service's answer for app \(app.appUUID) is not a security token document"),
            (.garbledKey, "the MAuth service's key for app \(app.appUUID) is unusable"),
        ]
        for (fault, message) in cases {
            service.switchboard.inject(fault, count: 1)
            let error = await #expect(throws: MAuthError.self) {
                try await service.keyProvider().publicKey(forAppUUID: app.appUUID)
            }
            #expect(error?.code == .unableToAuthenticate)
            #expect(error?.message.hasPrefix(message) == true, "\(error?.message ?? "")")
        }
        service.switchboard.delay(.seconds(2))
        let slow = MAuthServiceKeyProvider(client: service.client(timeout: .milliseconds(300)))
        let timeout = await #expect(throws: MAuthError.self) { try await slow.publicKey(forAppUUID: app.appUUID) }
        #expect(timeout?.code == .unableToAuthenticate)
        service.switchboard.delay(.zero)
        let baseURL = service.baseURL
        try await service.stop()
        let unreachable = MAuthServiceKeyProvider(client: service.client(baseURL: baseURL))
        let started = ContinuousClock.now
        let down = await #expect(throws: MAuthError.self) { try await unreachable.publicKey(forAppUUID: app.appUUID) }
        #expect(started.duration(to: .now) < .seconds(2), "a refused connection is retried briefly, not until timeouts")
        #expect(
            down?.message.hasPrefix("could not reach the MAuth service at \(baseURL)") == true, "\(down?.message ?? "")"
        )
    }

    @Test("a warm lookup is answered from memory")
    func warmLookupIsLocal() async throws {
        let service = try await InstrumentedService()
        let app = try service.registerApp()
        let provider = service.keyProvider()
        _ = try await provider.publicKey(forAppUUID: app.appUUID)
        for _ in 0..<10_000 {
            _ = try await provider.publicKey(forAppUUID: app.appUUID)
        }
        #expect(service.switchboard.securityTokenRequests == 1)
        try await service.stop()
    }
}
