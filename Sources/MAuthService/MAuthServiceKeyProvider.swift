import Foundation
import Locking
public import Logging
public import MAuth
public import Metrics
import NIOHTTP1

/// Public keys fetched from a MAuth service (local mode, PROTOCOL.md §7.1), cached.
///
/// - A key is kept for the `max-age` of its response's `Cache-Control` (wherever the directive
///   stands), or for ``CachePolicy/defaultTimeToLive`` when there is none, per entry; a key
///   answered with `no-store` or `no-cache` is used for the lookups waiting on it and not kept.
/// - An answer that carries another app's key (its `app_uuid` is not the one asked for) is
///   refused and logged as an error: kept, it would let that app's signatures pass as this app.
///   Answers over 64 KiB are not read.
/// - Concurrent lookups of one app UUID share one request: a thousand simultaneous requests from
///   an uncached app cost one round trip.
/// - The cache holds at most ``CachePolicy/maximumEntries`` keys, dropping the least recently
///   used; failures are never cached.
/// - With ``CachePolicy/staleIfErrorGracePeriod`` set, an expired key is still served for that
///   long while the service cannot be reached; without it, expiry is strict.
/// - At most ``CachePolicy/maximumConcurrentLookups`` different apps are looked up at once; past
///   that, a lookup fails at once rather than queue, so that requests forged with made-up app
///   UUIDs cannot flood the service or starve lookups for real callers.
/// - A key looked up in the last ``CachePolicy/refreshAhead`` part of its life is fetched again in
///   the background while the cached one is served, so a key in use never expires under a request.
/// - When a signature fails with a cached key, the app's key is fetched again
///   (``refreshedPublicKey(forAppUUID:replacing:)``), so a rotated key is accepted at once rather
///   than after the old one expires; at most once per app per ``CachePolicy/refetchInterval``,
///   shared by concurrent requests, so forged requests cannot make it hammer the service.
///
/// An unknown app (404) is reported as `nil`, so the request is inauthentic (401). Any other
/// status, a timeout, an unreachable service, a malformed or oversized document, another app's key
/// or an unusable key throws
/// `unableToAuthenticate` (500) naming the cause.
public final class MAuthServiceKeyProvider: PublicKeyProvider {
    /// How keys are cached.
    public struct CachePolicy: Sendable {
        /// How long a key is kept when the response has no `max-age`; 300 s by default.
        public var defaultTimeToLive: Duration
        /// The most keys kept; 1,024 by default.
        public var maximumEntries: Int
        /// How long past expiry a key may still be served while the service fails; `nil` (the
        /// default) never serves an expired key.
        public var staleIfErrorGracePeriod: Duration?
        /// The longest a key is kept, whatever `max-age` the service sends; one day by default.
        public var maximumTimeToLive: Duration
        /// How many different apps may be looked up at the same time; 64 by default.
        public var maximumConcurrentLookups: Int
        /// The shortest time between two fetches of one app's key after a signature failed to
        /// verify with the cached one; 30 s by default.
        public var refetchInterval: Duration
        /// The last part of a key's time to live, from 0 to 1, in which a lookup also fetches the
        /// key again in the background; 0.1 by default, 0 never refreshes ahead of expiry.
        public var refreshAhead: Double

        /// Creates a policy.
        public init(
            defaultTimeToLive: Duration = .seconds(300),
            maximumEntries: Int = 1024,
            staleIfErrorGracePeriod: Duration? = nil,
            maximumTimeToLive: Duration = .seconds(86_400),
            maximumConcurrentLookups: Int = 64,
            refetchInterval: Duration = .seconds(30),
            refreshAhead: Double = 0.1
        ) {
            self.defaultTimeToLive = defaultTimeToLive
            self.maximumEntries = max(1, maximumEntries)
            self.staleIfErrorGracePeriod = staleIfErrorGracePeriod
            self.maximumTimeToLive = maximumTimeToLive
            self.maximumConcurrentLookups = max(1, maximumConcurrentLookups)
            self.refetchInterval = refetchInterval
            self.refreshAhead = min(max(refreshAhead, 0), 1)
        }
    }

    private enum Lookup: Sendable {
        case key(MAuthPublicKey)
        case unknownApp
        /// The lookup failed; `stale` is the expired entry that was cached, if any.
        case failure(MAuthError, stale: Entry?)
    }

    private struct Entry: Sendable {
        var key: MAuthPublicKey
        var expires: ContinuousClock.Instant
        /// From when a lookup fetches the key again in the background; `nil` once it has.
        var refreshFrom: ContinuousClock.Instant?
        var lastUse: UInt64
    }

    private struct State {
        var entries: [String: Entry] = [:]
        var inFlight: [String: Task<Lookup, Never>] = [:]
        var useCounter: UInt64 = 0
        /// When each app's key was last fetched again after a failed verification.
        var refetched: [String: ContinuousClock.Instant] = [:]
    }

    /// The client that talks to the service.
    public let client: MAuthServiceClient
    /// How keys are cached.
    public let cachePolicy: CachePolicy
    private let logger: Logger
    private let clock: MAuthClock
    private let metrics: KeyCacheMetrics
    private let state = Locked(State())

    /// Creates a provider that asks the service behind `client`.
    ///
    /// - Parameters:
    ///   - client: the signed client of the MAuth service that holds the keys.
    ///   - cachePolicy: how long keys are kept, how many, and how many apps are looked up at once.
    ///   - logger: where a stale key served during an outage is reported.
    ///   - clock: measures how long keys live and the grace period (its monotonic instant).
    ///   - metricsFactory: where the cache's counters and the fetch timer go:
    ///     `mauth_key_cache_hits_total`, `mauth_key_cache_misses_total`, `mauth_key_refreshes_total`
    ///     (ahead of expiry), `mauth_key_refetches_total` (after a failed verification),
    ///     `mauth_key_stale_served_total`, `mauth_key_fetch_failures_total` and
    ///     `mauth_key_fetch_duration_seconds`.
    public init(
        client: MAuthServiceClient, cachePolicy: CachePolicy = CachePolicy(),
        logger: Logger = Logger(label: "mauth.service"), clock: MAuthClock = .system,
        metricsFactory: any MetricsFactory = MetricsSystem.factory
    ) {
        self.client = client
        self.cachePolicy = cachePolicy
        self.logger = logger
        self.clock = clock
        self.metrics = KeyCacheMetrics(factory: metricsFactory)
    }

    private enum Cached {
        case key(MAuthPublicKey)
        case fetching(Task<Lookup, Never>)
        case tooManyLookups
    }

    /// The public key of `appUUID`: from the cache while it is fresh, else from the service.
    ///
    /// Concurrent lookups of one app share one call. A failed call is never cached; with a
    /// ``CachePolicy/staleIfErrorGracePeriod``, an expired key is served (with a warning) while the
    /// service fails.
    ///
    /// - Parameter appUUID: the app whose key is wanted.
    /// - Returns: the key, or `nil` when the service answers 404 (an unknown app).
    /// - Throws: ``/MAuth/MAuthError`` (unable to authenticate) when the service cannot be reached,
    ///   answers another status or a malformed document, or when too many apps are being looked up
    ///   at once.
    public func publicKey(forAppUUID appUUID: String) async throws -> MAuthPublicKey? {
        // The grace period is judged from when this caller needed the key, not from when a slow
        // failure (a timeout) came back.
        let needed = clock.instant()
        let cached = state.withLock { state -> Cached in
            if var entry = state.entries[appUUID], entry.expires > needed {
                state.useCounter += 1
                entry.lastUse = state.useCounter
                if let refreshFrom = entry.refreshFrom, refreshFrom <= needed, state.inFlight[appUUID] == nil,
                    startFetch(appUUID, in: &state) != nil
                {
                    entry.refreshFrom = nil
                    metrics.refreshes.increment()
                }
                state.entries[appUUID] = entry
                return .key(entry.key)
            }
            if let running = state.inFlight[appUUID] { return .fetching(running) }
            guard let task = startFetch(appUUID, in: &state) else { return .tooManyLookups }
            return .fetching(task)
        }
        let fetch: Task<Lookup, Never>
        switch cached {
        case .key(let key):
            metrics.hits.increment()
            return key
        case .fetching(let task):
            metrics.misses.increment()
            fetch = task
        case .tooManyLookups:
            metrics.misses.increment()
            throw MAuthError(
                .unableToAuthenticate,
                "too many public keys are being fetched from the MAuth service at once to look up app \(appUUID)")
        }
        switch await fetch.value {
        case .key(let key): return key
        case .unknownApp: return nil
        case .failure(let error, let stale):
            if let grace = cachePolicy.staleIfErrorGracePeriod, let stale, stale.expires.advanced(by: grace) > needed {
                logger.warning(
                    "Serving an expired public key while the MAuth service fails",
                    metadata: ["app_uuid": "\(appUUID)", "error": "\(error.message)"]
                )
                metrics.staleServed.increment()
                return stale.key
            }
            throw error
        }
    }

    /// The app's key fetched again from the service, when it is not `rejectedKey`: the app's key
    /// was rotated since it was cached.
    ///
    /// A fetch already under way for the app is shared. Otherwise the service is asked at most
    /// once per ``CachePolicy/refetchInterval`` for each app; asked sooner, or when the service
    /// fails, this returns `nil` and the signature stays refused.
    ///
    /// - Parameters:
    ///   - appUUID: the app whose signature failed to verify.
    ///   - rejectedKey: the key it failed with.
    /// - Returns: the app's new key, or `nil`.
    public func refreshedPublicKey(forAppUUID appUUID: String, replacing rejectedKey: MAuthPublicKey) async
        -> MAuthPublicKey?
    {
        let now = clock.instant()
        let refresh = state.withLock { state -> Refresh in
            if let entry = state.entries[appUUID], entry.key != rejectedKey, entry.expires > now {
                return .cached(entry.key)
            }
            if let running = state.inFlight[appUUID] { return .fetching(running) }
            if let last = state.refetched[appUUID], last.duration(to: now) < cachePolicy.refetchInterval {
                return .tooSoon
            }
            guard let task = startFetch(appUUID, in: &state) else { return .tooSoon }
            state.refetched = state.refetched.filter { $0.value.duration(to: now) < cachePolicy.refetchInterval }
            state.refetched[appUUID] = now
            metrics.refetches.increment()
            return .fetching(task)
        }
        switch refresh {
        case .cached(let key):
            return key
        case .fetching(let task):
            guard case .key(let key) = await task.value, key != rejectedKey else { return nil }
            logger.info(
                "A signature failed with the cached public key; the MAuth service has a new one",
                metadata: ["app_uuid": "\(appUUID)"])
            return key
        case .tooSoon:
            return nil
        }
    }

    private enum Refresh {
        /// Another request already cached a newer key.
        case cached(MAuthPublicKey)
        case fetching(Task<Lookup, Never>)
        /// The app's key was fetched again too recently, or too many lookups are under way.
        case tooSoon
    }

    /// How many keys are cached now.
    public var cachedKeyCount: Int { state.withLock { $0.entries.count } }

    /// Waits for the fetches under way, those started in the background included.
    func fetchesFinished() async {
        for fetch in state.withLock({ Array($0.inFlight.values) }) {
            _ = await fetch.value
        }
    }

    /// Starts fetching the key of `appUUID`, recorded as under way; `nil` when as many apps as the
    /// policy allows are being looked up already.
    private func startFetch(_ appUUID: String, in state: inout State) -> Task<Lookup, Never>? {
        guard state.inFlight.count < cachePolicy.maximumConcurrentLookups else { return nil }
        let task = Task { await self.fetch(appUUID) }
        state.inFlight[appUUID] = task
        return task
    }

    private func fetch(_ appUUID: String) async -> Lookup {
        let started = ContinuousClock.now
        let result = await ask(appUUID)
        metrics.fetchDuration.record(duration: started.duration(to: .now))
        let now = clock.instant()
        return state.withLock { state in
            state.inFlight[appUUID] = nil
            switch result {
            case .success(let (key, timeToLive)) where timeToLive <= .zero:
                // The service asked that the key not be kept: it serves the lookups that shared
                // this fetch, and nothing else, not even as a stale key.
                state.entries[appUUID] = nil
                return .key(key)
            case .success(let (key, timeToLive)):
                state.useCounter += 1
                let life = min(timeToLive, cachePolicy.maximumTimeToLive)
                state.entries[appUUID] = Entry(
                    key: key, expires: now.advanced(by: life),
                    refreshFrom: cachePolicy.refreshAhead > 0
                        ? now.advanced(by: life * (1 - cachePolicy.refreshAhead)) : nil,
                    lastUse: state.useCounter)
                evictLeastRecentlyUsed(&state)
                return .key(key)
            case .failure(let error) where error.code == .inauthentic:
                state.entries[appUUID] = nil
                return .unknownApp
            case .failure(let error):
                metrics.fetchFailures.increment()
                // Another lookup, or the key before a refresh ahead of its expiry, still holds.
                if let entry = state.entries[appUUID], entry.expires > now { return .key(entry.key) }
                return .failure(error, stale: state.entries[appUUID])
            }
        }
    }

    private func evictLeastRecentlyUsed(_ state: inout State) {
        while state.entries.count > cachePolicy.maximumEntries,
            let oldest = state.entries.min(by: { $0.value.lastUse < $1.value.lastUse })?.key
        {
            state.entries[oldest] = nil
        }
    }

    /// One request to the service: the key and how long to keep it, or why there is none
    /// (`inauthentic` for an unknown app).
    private func ask(_ appUUID: String) async -> Result<(MAuthPublicKey, Duration), MAuthError> {
        let escaped =
            appUUID.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(["-", "_", "."])) ?? appUUID
        let reply: MAuthServiceClient.Reply
        do {
            reply = try await client.send(.GET, "security_tokens/\(escaped).json")
        } catch {
            return .failure(error)
        }
        switch reply.status {
        case 200:
            guard
                let token = try? JSONDecoder().decode(SecurityTokenDocument.self, from: Data(reply.bodyText.utf8))
                    .securityToken
            else {
                return .failure(
                    MAuthError(
                        .unableToAuthenticate,
                        "the MAuth service's answer for app \(appUUID) is not a security token document")
                )
            }
            if let answeredApp = token.appUUID, answeredApp.lowercased() != appUUID.lowercased() {
                // Keeping it would let a request signed with the other app's key pass as this app.
                logger.error(
                    "The MAuth service answered a key request with another app's key; it is not used",
                    metadata: ["app_uuid": "\(appUUID)", "answered_app_uuid": "\(answeredApp)"])
                return .failure(
                    MAuthError(
                        .unableToAuthenticate,
                        "the MAuth service answered the key request for app \(appUUID) with the key of app \(answeredApp)"
                    ))
            }
            do {
                let key = try MAuthPublicKey(pem: token.publicKeyText)
                let cacheControl = reply.headers["Cache-Control"]
                if CacheControl.forbidsKeeping(cacheControl) { return .success((key, .zero)) }
                let maxAge = CacheControl.maxAge(in: cacheControl)
                return .success((key, maxAge.map { .seconds($0) } ?? cachePolicy.defaultTimeToLive))
            } catch {
                return .failure(
                    MAuthError(
                        .unableToAuthenticate,
                        "the MAuth service's key for app \(appUUID) is unusable: \(error.message)"))
            }
        case 404:
            return .failure(MAuthError(.inauthentic, "The MAuth service does not know app \(appUUID)."))
        default:
            return .failure(
                MAuthError(
                    .unableToAuthenticate,
                    "The mAuth service responded with \(reply.status): \(reply.bodyText.prefix(200))"
                )
            )
        }
    }
}

/// The counters and timer of a key cache, reported to swift-metrics.
private struct KeyCacheMetrics: Sendable {
    let hits: Counter
    let misses: Counter
    let refreshes: Counter
    let refetches: Counter
    let staleServed: Counter
    let fetchFailures: Counter
    let fetchDuration: Timer

    init(factory: any MetricsFactory) {
        hits = Counter(label: "mauth_key_cache_hits_total", factory: factory)
        misses = Counter(label: "mauth_key_cache_misses_total", factory: factory)
        refreshes = Counter(label: "mauth_key_refreshes_total", factory: factory)
        refetches = Counter(label: "mauth_key_refetches_total", factory: factory)
        staleServed = Counter(label: "mauth_key_stale_served_total", factory: factory)
        fetchFailures = Counter(label: "mauth_key_fetch_failures_total", factory: factory)
        fetchDuration = Timer(label: "mauth_key_fetch_duration_seconds", factory: factory)
    }
}
