import AsyncHTTPClient
import Foundation
import HTTPPipeline
import HTTPPipelineServer
import Locking
import Logging
import MAuth
import MAuthTestSupport
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Testing

@testable import MAuthProxy

/// The forwarding path the signing proxy and the gate share, tried as an attacker would.
@Suite("Forwarding path, hardened", .serialized)
struct ForwardingHardeningTests {
    static func proxy(
        to upstream: String, hostPolicy: ProxyHostPolicy = .loopback,
        upstreamClient: UpstreamClient = SigningProxyTests.upstreamClient, logLevel: Logger.Level = .info
    ) async throws -> (server: RunningServer, log: RecordingLogHandler.Records) {
        let (logger, records) = RecordingLogHandler.logger(level: logLevel)
        let proxy = try SigningProxy(
            routes: [try ProxyRoute(prefix: "/studies", upstream: upstream + "/api")],
            signer: try SigningProxyTests.signer([.v2]), hostPolicy: hostPolicy,
            upstreamClient: upstreamClient, logger: logger)
        return (try await RunningServer(proxy), records)
    }

    @Test(
        "targets that climb out of a route once decoded are refused before they reach the upstream",
        arguments: [
            "/studies/..%2F..%2Fadmin", "/studies/%2e%2e%2fadmin", "/studies/..;/admin", "/studies/%2E%2E;x/admin",
            "/studies/.;/../admin", "/studies/..%5cadmin", "/studies/..\\admin", "/studies/%252e%252e/admin",
            "/studies/a%2Fb", "/studies/..%00/admin", "/studies/..%20/admin", "/studies/.../admin",
        ])
    func routeEscape(target: String) async throws {
        let hits = HitCounter()
        let upstream = try await RunningServer(hits)
        let (proxy, _) = try await Self.proxy(to: upstream.baseURL)
        let refused = try await SigningProxyTests.curl(["--path-as-is", proxy.baseURL + target])
        #expect(refused.status == 400, "\(target): \(refused.body)")
        #expect(refused.body.hasPrefix(#"{"error":"A proxied path"#), "\(refused.body)")
        #expect(hits.count == 0)
        try await proxy.stop()
        try await upstream.stop()
    }

    @Test("escapes that are not UTF-8 are refused, not forwarded as the upstream's root")
    func invalidEscapes() async throws {
        let hits = HitCounter()
        let upstream = try await RunningServer(hits)
        let (proxy, _) = try await Self.proxy(to: upstream.baseURL)
        for target in ["/studies/%ff", "/studies/%c0%ae/x", "/studies/a%zz", "/studies/a%4"] {
            let refused = try await SigningProxyTests.curl(["--path-as-is", proxy.baseURL + target])
            #expect(refused.status == 400, "\(target): \(refused.body)")
        }
        #expect(hits.count == 0)
        try await proxy.stop()
        try await upstream.stop()
    }

    @Test("the upstream receives the target byte for byte, and the log names the path, the query at debug only")
    func exactTargets() async throws {
        let upstream = try await RunningServer(EchoTarget())
        let (proxy, log) = try await Self.proxy(to: upstream.baseURL)
        let (debugProxy, debugLog) = try await Self.proxy(to: upstream.baseURL, logLevel: .debug)
        for target in [
            "/studies/caf%C3%A9/a%20b%2Bc", "/studies//x//", "/studies/x?b=2&a=1&token=s3cret&q=%2F..&e=%C3%A9&flag",
            "/studies/~user/x.y;v=1", "/studies", "/studies/%2Bplus%7e?x=%7E", "/studies/x?q=%ZZ&r=%ff",
        ] {
            for running in [proxy, debugProxy] {
                let seen = try await SigningProxyTests.curl(["--path-as-is", running.baseURL + target])
                #expect(seen.status == 200, "\(target): \(seen.body)")
                #expect(seen.body == "/api" + target, "\(target)")
            }
        }
        #expect(log.all.contains { $0.message == "GET /studies/x 200" })
        #expect(!log.all.contains { $0.message.contains("s3cret") })
        #expect(debugLog.all.contains { $0.message.contains("token=s3cret") })
        try await proxy.stop()
        try await debugProxy.stop()
        try await upstream.stop()
    }

    @Test("a cleartext upstream's connections are kept alive and reused, one at a time")
    func keepAlive() async throws {
        let upstream = try await RunningServer(RemotePort())
        let client = UpstreamClient(timeout: .seconds(10))
        let (proxy, _) = try await Self.proxy(to: upstream.baseURL, upstreamClient: client)
        var ports: Set<String> = []
        for _ in 0..<20 {
            let answer = try await SigningProxyTests.curl([proxy.baseURL + "/studies/x"])
            #expect(answer.status == 200)
            ports.insert(answer.body)
        }
        #expect(ports.count == 1, "one connection carried all 20 requests: \(ports)")
        // A HEAD response has no body although it may say how long one would be: the connection
        // goes on to carry the next request.
        let head = try await SigningProxyTests.curl(["-I", proxy.baseURL + "/studies/x"])
        #expect(head.status == 200)
        #expect(head.body.lowercased().contains("content-length: "), "\(head.body)")
        let afterHead = try await SigningProxyTests.curl([proxy.baseURL + "/studies/x"])
        #expect(ports.contains(afterHead.body))
        try await proxy.stop()
        try await upstream.stop()
        try await client.shutdown()
    }

    @Test("a reused connection the upstream closed is replaced for an idempotent request, and a POST answers 502")
    func closedKeepAliveConnection() async throws {
        let upstream = try await OneAnswerPerConnection()
        let client = UpstreamClient(timeout: .seconds(10))
        let (proxy, _) = try await Self.proxy(to: upstream.baseURL, upstreamClient: client)
        for _ in 0..<3 {
            let answer = try await SigningProxyTests.curl([proxy.baseURL + "/studies/x"])
            #expect(answer.status == 200, "\(answer.body)")
            #expect(answer.body == "answered")
        }
        #expect(upstream.connectionCount == 3)
        let post = try await SigningProxyTests.curl(["--data-binary", "once", proxy.baseURL + "/studies/x"])
        #expect(post.status == 502, "a POST is never sent twice: \(post.body)")
        try await proxy.stop()
        try await upstream.stop()
        try await client.shutdown()
    }

    @Test(
        "a pooled connection on which the upstream sends while idle is closed at once, not left for the next request")
    func bytesOnIdleConnection() async throws {
        let upstream = try await OneAnswerPerConnection()
        let connection = try await UpstreamConnection.connect(
            host: "127.0.0.1", port: upstream.port, on: MultiThreadedEventLoopGroup.singleton.next(),
            connectTimeout: .seconds(10), readTimeout: .seconds(10))
        let reusable = Locked<Bool?>(nil)
        let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/", headers: ["Host": "127.0.0.1"])
        let response = try await connection.execute(head: head, body: nil) { keep in reusable.withLock { $0 = keep } }
        var body = ByteBuffer()
        for try await part in response.body { body.writeImmutableBuffer(part) }
        #expect(String(buffer: body) == "answered")
        #expect(reusable.withLock { $0 } == true, "the response let the connection be kept")
        // Without a read between exchanges, the next request would take these bytes for its answer.
        let waitedTooLong = Locked(false)
        let bound = connection.channel.eventLoop.scheduleTask(in: .seconds(30)) {
            waitedTooLong.withLock { $0 = true }
            connection.close()
        }
        try await upstream.send("HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nunsent")
        try await connection.channel.closeFuture.get()
        bound.cancel()
        #expect(!waitedTooLong.withLock { $0 }, "the connection closed only when the test gave up")
        try await upstream.stop()
    }

    @Test("requests that find every connection busy answer 503 with Retry-After within the upstream timeout")
    func poolExhaustion() async throws {
        let held = HeldUpstream()
        let upstream = try await RunningServer(held)
        // The held requests outlive the wait for a connection, as a slow upstream's would.
        let client = UpstreamClient(
            timeout: .milliseconds(500), connectionsPerUpstream: 2, tls: nil, connectionWait: .milliseconds(500),
            readTimeout: .seconds(20))
        let (proxy, _) = try await Self.proxy(to: upstream.baseURL, upstreamClient: client)
        try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<2 {
                group.addTask {
                    try await SigningProxyTests.curl([proxy.baseURL + "/studies/held"]).status
                }
            }
            try await held.awaitArrivals(2)
            let busy = try await SigningProxyTests.curl(["-i", proxy.baseURL + "/studies/third"])
            #expect(busy.status == 503, "\(busy.body)")
            #expect(busy.body.lowercased().contains("retry-after: 1"), "\(busy.body)")
            #expect(busy.body.contains("no connection to it came free within"))
            held.release()
            for try await status in group { #expect(status == 200) }
        }
        try await proxy.stop()
        try await upstream.stop()
        try await client.shutdown()
    }

    @Test("an HTTPS upstream that speaks HTTP/2 carries many requests at once over one connection")
    func multiplexedUpstream() async throws {
        try await withTestCertificate { certificate in
            let held = HeldUpstream()
            let upstream = try await RunningServer(held, tls: certificate)
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.trustRoots = .file(certificate.certificatePath)
            let client = UpstreamClient(timeout: .seconds(10), connectionsPerUpstream: 1, tls: tls)
            let (proxy, _) = try await Self.proxy(to: upstream.tlsBaseURL, upstreamClient: client)
            try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        try await SigningProxyTests.curl([proxy.baseURL + "/studies/held"]).status
                    }
                }
                // With one HTTP/1.1 connection only one could arrive; the others would wait.
                try await held.awaitArrivals(8)
                held.release()
                for try await status in group { #expect(status == 200) }
            }
            try await proxy.stop()
            try await upstream.stop()
            try await client.shutdown()
        }
    }

    @Test("a Host the proxy does not answer to gets 421, a page of another origin 403")
    func browserAsConfusedDeputy() async throws {
        let hits = HitCounter()
        let upstream = try await RunningServer(hits)
        let policy = ProxyHostPolicy.loopback.allowing(hosts: ["proxy.internal"])
        let (proxy, _) = try await Self.proxy(
            to: upstream.baseURL,
            hostPolicy: ProxyHostPolicy(
                allowedHosts: policy.allowedHosts, allowedOrigins: ["http://localhost:3000/"]))
        let port = proxy.ports.cleartext
        let url = proxy.baseURL + "/studies/x"
        let refusedHosts = ["attacker.example", "attacker.example:\(port)", "127.0.0.1.attacker.example"]
        for host in refusedHosts {
            let refused = try await SigningProxyTests.curl(["-H", "Host: \(host)", url])
            #expect(refused.status == 421, "\(host): \(refused.body)")
        }
        let refusedOrigins = [
            "http://attacker.example", "null", "http://127.0.0.1:\(port + 1)", "https://127.0.0.1:\(port)",
        ]
        for origin in refusedOrigins {
            let refused = try await SigningProxyTests.curl(["-X", "POST", "-d", "x", "-H", "Origin: \(origin)", url])
            #expect(refused.status == 403, "\(origin): \(refused.body)")
        }
        for site in ["cross-site", "same-site"] {
            let refused = try await SigningProxyTests.curl(["-H", "Sec-Fetch-Site: \(site)", url])
            #expect(refused.status == 403, "\(site): \(refused.body)")
        }
        #expect(hits.count == 0)
        let allowed: [[String]] = [
            ["-H", "Sec-Fetch-Site: none"], ["-H", "Sec-Fetch-Site: same-origin"],
            ["-H", "Sec-Fetch-Site: cross-site", "-H", "Origin: http://localhost:3000"],
            [], ["-H", "Host: localhost:\(port)"], ["-H", "Host: [::1]:\(port)"], ["-H", "Host: PROXY.internal"],
            ["-H", "Origin: http://127.0.0.1:\(port)"], ["-H", "Origin: http://localhost:3000"],
        ]
        for arguments in allowed {
            let passed = try await SigningProxyTests.curl(arguments + [url])
            #expect(passed.status == 200, "\(arguments): \(passed.body)")
        }
        #expect(hits.count == allowed.count)
        try await proxy.stop()
        try await upstream.stop()
    }
}

/// An upstream that counts the requests it received and answers each 200.
final class HitCounter: Handler {
    private let hits = Locked(0)

    var count: Int { hits.withLock { $0 } }

    func handle(_ request: Request, context: RequestContext) async throws -> Response {
        hits.withLock { $0 += 1 }
        _ = try await request.body.collect(upTo: 1 << 20)
        return .text("hit")
    }
}

/// An upstream that answers the raw target it received.
struct EchoTarget: Handler {
    func handle(_ request: Request, context: RequestContext) async throws -> Response {
        .text(request.target)
    }
}

/// An upstream that answers the port its caller connected from: which connection carried the
/// request.
struct RemotePort: Handler {
    func handle(_ request: Request, context: RequestContext) async throws -> Response {
        .text("\(context.remoteAddress?.port ?? 0)")
    }
}
