import AsyncHTTPClient
import Foundation
import HTTPPipelineServer
import HTTPTypes
import MAuth
import MAuthTestSupport
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Testing

@Suite("Reference server over real sockets", .serialized)
struct ServerTests {
    /// Sends a request signed now (unless `sign` is false) and returns status, body and version.
    static func send(
        _ client: HTTPClient,
        _ url: String,
        method: HTTPMethod = .GET,
        target: String,
        body: String? = nil,
        sign: Bool = true,
        versions: [MAuthProtocolVersion] = [.v2],
        tamper: (inout HTTPClientRequest) -> Void = { _ in }
    ) async throws -> (status: Int, body: String, version: HTTPVersion) {
        var request = HTTPClientRequest(url: url + target)
        request.method = method
        if let body {
            request.body = .bytes(ByteBuffer(string: body))
        }
        if sign {
            for field in TestServer.signedHeaders(
                method: method.rawValue, target: target, body: Array((body ?? "").utf8), versions: versions)
            {
                request.headers.add(name: field.name.rawName, value: field.value)
            }
        }
        tamper(&request)
        let response = try await client.execute(request, timeout: .seconds(10))
        let bytes = try await response.body.collect(upTo: 1 << 20)
        return (Int(response.status.code), String(buffer: bytes), response.version)
    }

    @Test("HTTP/1.1 through AsyncHTTPClient: signed, tampered, exempt, oversized")
    func http1() async throws {
        let server = try await TestServer()
        try await withHTTPClient(http2: false) { client in
            let base = server.baseURL

            for versions in [[MAuthProtocolVersion.v1], [.v2], [.v1, .v2]] {
                let signed = try await Self.send(client, base, target: "/", versions: versions)
                #expect(signed.status == 200)
                #expect(
                    signed.body
                        == #"{"app_uuid":"\#(Fixtures.appUUID)","protocol_version":\#(versions.max()!.number),"http_version":"HTTP/1.1"}"#
                )
            }
            let echo = try await Self.send(client, base, method: .POST, target: "/echo?x=%20y", body: #"{"α":"β"}"#)
            #expect(echo.status == 200)
            #expect(echo.body == #"{"α":"β"}"#)

            let tamperedBody = try await Self.send(client, base, method: .POST, target: "/echo", body: "signed") {
                $0.body = .bytes(ByteBuffer(string: "changed"))
            }
            #expect(tamperedBody.status == 401)
            #expect(tamperedBody.body == #"{"errors":{"mauth":["Signature verification failed for request."]}}"#)
            let tamperedQuery = try await Self.send(client, base, target: "/?id=1") { $0.url = base + "/?id=2" }
            #expect(tamperedQuery.status == 401)
            let tamperedPath = try await Self.send(client, base, target: "/public") { $0.url = base + "/" }
            #expect(tamperedPath.status == 401)
            let tamperedTime = try await Self.send(client, base, target: "/") {
                $0.headers.replaceOrAdd(name: "MCC-Time", value: "1")
            }
            #expect(tamperedTime.status == 401)
            #expect(tamperedTime.body.contains("Time verification failed. 1 not within 300s of"))

            #expect(try await Self.send(client, base, target: "/app_status", sign: false).status == 200)
            #expect(try await Self.send(client, base, target: "/", sign: false).status == 401)
            let oversized = try await Self.send(
                client, base, method: .POST, target: "/echo", body: String(repeating: "x", count: 70 * 1024))
            #expect(oversized.status == 413)
            let streamed = try await Self.send(client, base, target: "/stream", sign: false)
            #expect(streamed.body == "one two three")
        }
        try await server.stop()
    }

    @Test("HTTP/2 over TLS with ALPN, and HTTP/1.1 over TLS, through AsyncHTTPClient")
    func http2OverTLS() async throws {
        try await withTestCertificate { certificate in
            let server = try await TestServer(tls: certificate)
            try await withHTTPClient { http2 in
                let signed = try await Self.send(http2, server.secureBaseURL, target: "/", versions: [.v1, .v2])
                #expect(signed.status == 200)
                #expect(signed.version == .http2)
                #expect(signed.body.contains(#""http_version":"HTTP/2""#))
                let echo = try await Self.send(
                    http2, server.secureBaseURL, method: .POST, target: "/echo", body: "over h2")
                #expect(echo.body == "over h2")
                #expect(try await Self.send(http2, server.secureBaseURL, target: "/", sign: false).status == 401)
            }
            try await withHTTPClient(http2: false) { http1 in
                let overTLS = try await Self.send(http1, server.secureBaseURL, target: "/")
                #expect(overTLS.status == 200)
                #expect(overTLS.version == .http1_1)
            }
            try await server.stop()
        }
    }

    @Test("HTTP/2 flow control both ways: bodies of many windows, on concurrent streams, are echoed whole")
    func http2FlowControl() async throws {
        try await withTestCertificate { certificate in
            let server = try await TestServer(tls: certificate, maxBodySize: 1 << 20)
            // Eleven stream windows each way, and more than the connection's window in total.
            let bodies = (0..<4).map { index in
                String(repeating: "\(index)0123456789abcdef", count: 42_000).prefix(700_000 + index)
            }
            try await withHTTPClient { http2 in
                try await withThrowingTaskGroup { group in
                    for body in bodies {
                        group.addTask {
                            let echo = try await Self.send(
                                http2, server.secureBaseURL, method: .POST, target: "/echo", body: String(body))
                            #expect(echo.status == 200)
                            #expect(echo.version == .http2)
                            #expect(echo.body == body, "a body of \(body.utf8.count) bytes came back changed")
                        }
                    }
                    try await group.waitForAll()
                }
            }
            try await server.stop()
        }
    }

    @Test("handlers run on their connection's event loop, over HTTP/1.1 and HTTP/2")
    func handlersOnEventLoop() async throws {
        try await withTestCertificate { certificate in
            let server = try await TestServer(tls: certificate)
            try await withHTTPClient { http2 in
                let answer = try await Self.send(http2, server.secureBaseURL, target: "/event-loop", sign: false)
                #expect(answer.version == .http2)
                #expect(answer.body == "event loop")
            }
            try await withHTTPClient(http2: false) { http1 in
                let answer = try await Self.send(http1, server.baseURL, target: "/event-loop", sign: false)
                #expect(answer.version == .http1_1)
                #expect(answer.body == "event loop")
            }
            try await server.stop()
        }
    }

    @Test("a connection that keeps pipelining is served off its event loop, so it cannot hold up the loop")
    func longPipelineLeavesTheLoop() async throws {
        let server = try await TestServer()
        let connection = try RawConnection(port: server.ports.cleartext)
        let count = 40
        connection.send(
            String(repeating: "GET /event-loop HTTP/1.1\r\nHost: x\r\n\r\n", count: count - 1)
                + "GET /event-loop HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        let responses = await connection.receiveAll()
        let places = responses.components(separatedBy: "\r\n\r\n").filter { !$0.hasPrefix("HTTP/") && !$0.isEmpty }
            .map { $0.hasPrefix("event loop") ? "event loop" : $0.hasPrefix("elsewhere") ? "elsewhere" : $0 }
        #expect(places.count == count, "\(responses)")
        #expect(places.first == "event loop")
        #expect(places.last == "elsewhere")
        try await server.stop()
    }

    @Test("pipelined HTTP/1.1 requests are answered in order")
    func pipelining() async throws {
        let server = try await TestServer()
        let connection = try RawConnection(port: server.ports.cleartext)
        let signed = TestServer.signedHeaders(method: "GET", target: "/").map { "\($0.name.rawName): \($0.value)\r\n" }
            .joined()
        connection.send(
            "GET /app_status HTTP/1.1\r\nHost: x\r\n\r\n"
                + "GET / HTTP/1.1\r\nHost: x\r\n\(signed)\r\n"
                + "GET /missing-signature HTTP/1.1\r\nHost: x\r\n\r\n"
                + "GET /stream HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        let responses = await connection.receiveAll()
        let statuses = responses.components(separatedBy: "HTTP/1.1 ").dropFirst().map { $0.prefix(3) }
        #expect(statuses == ["200", "200", "401", "200"], "\(responses)")
        let exempt = try #require(responses.range(of: "exempt from authentication"))
        let identity = try #require(responses.range(of: Fixtures.appUUID))
        let stream = try #require(responses.range(of: "three"))
        #expect(exempt.lowerBound < identity.lowerBound && identity.lowerBound < stream.lowerBound)
        try await server.stop()
    }

    @Test("a malformed request gets 400, a huge head 431, and the server keeps serving")
    func malformed() async throws {
        let server = try await TestServer()
        let garbage = try RawConnection(port: server.ports.cleartext)
        garbage.send("THIS IS NOT HTTP\r\n\r\n")
        #expect(await garbage.receiveAll().hasPrefix("HTTP/1.1 400 Bad Request\r\n"))

        let large = try RawConnection(port: server.ports.cleartext)
        large.send(
            "GET /app_status HTTP/1.1\r\nHost: x\r\nX-Large: \(String(repeating: "a", count: 20_000))\r\nConnection: close\r\n\r\n"
        )
        let answer = await large.receiveAll()
        #expect(answer.hasPrefix("HTTP/1.1 431 Request Header Fields Too Large\r\n"))
        #expect(answer.hasSuffix(#"{"error":"The request head is too large."}"#))

        let afterwards = try await withHTTPClient(http2: false) { client in
            try await Self.send(client, server.baseURL, target: "/app_status", sign: false)
        }
        #expect(afterwards.status == 200)
        try await server.stop()
    }

    @Test("graceful shutdown finishes the in-flight request, then stops accepting")
    func gracefulShutdown() async throws {
        let server = try await TestServer()
        let base = server.baseURL
        try await withHTTPClient(http2: false) { client in
            let inFlight = Task { try await Self.send(client, base, target: "/held", sign: false) }
            await server.held.waitUntilStarted()
            await server.beginShutdown()
            #expect(!server.hasStopped, "stop() returned before the slow request finished")
            server.held.release()
            try await server.waitUntilStopped()
            let finished = try await inFlight.value
            #expect(finished.status == 200)
            #expect(finished.body == "finished")
            #expect(throws: (any Error).self) { try RawConnection(port: server.ports.cleartext) }
        }
    }

    @Test("graceful shutdown over HTTP/2 finishes the open stream (GOAWAY), then stops")
    func gracefulShutdownHTTP2() async throws {
        try await withTestCertificate { certificate in
            let server = try await TestServer(tls: certificate)
            let base = server.secureBaseURL
            try await withHTTPClient { client in
                #expect(try await Self.send(client, base, target: "/app_status", sign: false).version == .http2)
                let inFlight = Task { try await Self.send(client, base, target: "/held", sign: false) }
                await server.held.waitUntilStarted()
                await server.beginShutdown()
                server.held.release()
                try await server.waitUntilStopped()
                let finished = try await inFlight.value
                #expect((finished.status, finished.body, finished.version) == (200, "finished", .http2))
            }
        }
    }

    @Test("an idle keep-alive connection is closed after the idle timeout")
    func idleConnection() async throws {
        let server = try await TestServer { $0.idleTimeout = .milliseconds(300) }
        let connection = try RawConnection(port: server.ports.cleartext)
        connection.send("GET /app_status HTTP/1.1\r\nHost: x\r\n\r\n")
        let started = ContinuousClock.now
        let answer = await connection.receiveAll()
        #expect(answer.hasPrefix("HTTP/1.1 200 OK"))
        #expect(started.duration(to: .now) < .seconds(4), "the connection stayed open past the idle timeout")
        try await server.stop()
    }

    @Test("a large response is delivered whole before the connection closes, to a slow reader too")
    func largeResponseBeforeClose() async throws {
        let server = try await TestServer()
        let connection = try RawConnection(port: server.ports.cleartext, receiveBufferSize: 16 * 1024)
        connection.send("GET /big HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        try await Task.sleep(for: .seconds(3))
        let answer = await connection.receiveAll()
        let body = try #require(answer.range(of: "\r\n\r\n")).upperBound
        #expect(answer[body...].utf8.count == TestServer.bigBodySize)
        try await server.stop()
    }

    @Test("HTTP/1.0: close unless keep-alive is asked for, and no chunked encoding")
    func http10() async throws {
        let server = try await TestServer()
        let connection = try RawConnection(port: server.ports.cleartext)
        connection.send("GET /app_status HTTP/1.0\r\n\r\n")
        let started = ContinuousClock.now
        #expect(await connection.receiveAll().contains("this route is exempt from authentication"))
        #expect(started.duration(to: .now) < .seconds(2), "the server kept an HTTP/1.0 connection open")

        let streamed = try RawConnection(port: server.ports.cleartext)
        streamed.send("GET /stream HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        let streamedAnswer = await streamed.receiveAll()
        #expect(streamedAnswer.hasPrefix("HTTP/1.0 200 OK\r\n"), "\(streamedAnswer)")
        #expect(!streamedAnswer.lowercased().contains("chunked"), "\(streamedAnswer)")
        #expect(streamedAnswer.hasSuffix("\r\n\r\none two three"), "\(streamedAnswer)")

        let kept = try RawConnection(port: server.ports.cleartext)
        kept.send(
            "GET /app_status HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
                + "GET /app_status HTTP/1.0\r\n\r\n")
        let keptAnswer = await kept.receiveAll()
        let answers = keptAnswer.components(separatedBy: "HTTP/1.1 200 OK\r\n").dropFirst()
        #expect(answers.count == 2, "\(keptAnswer)")
        #expect(answers.first?.lowercased().contains("connection: keep-alive") == true, "\(keptAnswer)")
        try await server.stop()
    }

    @Test("a body cut short by the client is not handed on as complete")
    func truncatedBody() async throws {
        let server = try await TestServer()
        let connection = try RawConnection(port: server.ports.cleartext)
        let headers = TestServer.signedHeaders(method: "POST", target: "/echo", body: Array("0123456789".utf8))
            .map { "\($0.name.rawName): \($0.value)\r\n" }.joined()
        connection.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\(headers)\r\n0123456789")
        connection.finishSending()
        #expect(await !connection.receiveAll().hasPrefix("HTTP/1.1 200"))
        try await server.stop()
    }

    @Test("a body read after the handler returned fails that exchange and closes the connection")
    func lateBodyRead() async throws {
        let server = try await TestServer()
        let connection = try RawConnection(port: server.ports.cleartext)
        connection.send(
            "POST /late-read HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
                + "GET /app_status HTTP/1.1\r\nHost: x\r\n\r\n"
        )
        let started = ContinuousClock.now
        let answer = await connection.receiveAll()
        #expect(started.duration(to: .now) < .seconds(2), "a broken-off response closes its connection at once")
        #expect(!answer.contains("hello"), "the late read must not see the body")
        #expect(!answer.contains("exempt from authentication"), "the connection must not serve the next request")
        let afterwards = try await withHTTPClient(http2: false) { client in
            try await Self.send(client, server.baseURL, target: "/app_status", sign: false)
        }
        #expect(afterwards.status == 200)
        try await server.stop()
    }

    @Test("after an early 413 the connection closes soon, even if the client stops sending mid-body")
    func earlyRefusalLingersBriefly() async throws {
        let server = try await TestServer()
        let connection = try RawConnection(port: server.ports.cleartext)
        connection.send(
            "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\n" + String(repeating: "x", count: 1000))
        let started = ContinuousClock.now
        let answer = await connection.receiveAll()
        #expect(answer.hasPrefix("HTTP/1.1 413 "), "\(answer)")
        #expect(started.duration(to: .now) < .seconds(4), "the server waited for the rest of a refused body")
        try await server.stop()
    }

    @Test("a head too large is answered 431 while its client is still sending it, not reset under the answer")
    func headTooLargeWhileSending() async throws {
        let server = try await TestServer()
        let connection = try RawConnection(port: server.ports.cleartext)
        connection.send("GET /app_status HTTP/1.1\r\nHost: x\r\nX-Large: ")
        let sent = await connection.flood(with: Array(repeating: UInt8(ascii: "a"), count: 16 * 1024), total: 1 << 20)
        connection.finishSending()
        let (answer, reset) = await connection.receiveAllReportingReset()
        #expect(answer.hasPrefix("HTTP/1.1 431 Request Header Fields Too Large\r\n"), "after \(sent) bytes: \(answer)")
        #expect(!reset, "after \(sent) bytes")
        try await server.stop()
    }

    @Test("a body its handler leaves unread, past what the responder discards, is drained for the next request")
    func unreadBodyPastTheDiscardLimit() async throws {
        let server = try await TestServer(maxBodySize: 4 << 20)
        let connection = try RawConnection(port: server.ports.cleartext)
        let bodySize = 1 << 20
        connection.send("POST /app_status HTTP/1.1\r\nHost: x\r\nContent-Length: \(bodySize)\r\n\r\n")
        let sent = await connection.flood(
            with: [UInt8](repeating: UInt8(ascii: "a"), count: 16 * 1024), total: bodySize)
        connection.send("GET /app_status HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        let (answer, reset) = await connection.receiveAllReportingReset()
        #expect(sent == bodySize)
        #expect(answer.components(separatedBy: "HTTP/1.1 ").count - 1 == 2, "\(answer)")
        #expect(answer.hasSuffix("this route is exempt from authentication"), "\(answer)")
        #expect(!reset)
        try await server.stop()
    }

    @Test(
        "a connection that agrees no protocol in time is closed: silent, a partial HTTP/2 preface, a stalled TLS handshake",
        arguments: ["", "PRI * HTTP/2.0\r\n", "tls"])
    func negotiationDeadline(sent: String) async throws {
        try await withTestCertificate { certificate in
            let server = try await TestServer(tls: certificate) { $0.requestHeadTimeout = .milliseconds(300) }
            let port = sent == "tls" ? try #require(server.ports.tls) : server.ports.cleartext
            let connection = try RawConnection(port: port)
            if sent != "tls" { connection.send(sent) }
            let started = ContinuousClock.now
            #expect(await connection.receiveAll() == "")
            #expect(started.duration(to: .now) < .seconds(4))
            try await server.stop()
        }
    }

    @Test("a connection that never completes its first request is closed")
    func slowClient() async throws {
        let server = try await TestServer { $0.requestHeadTimeout = .milliseconds(300) }
        let connection = try RawConnection(port: server.ports.cleartext)
        connection.send("GET /app_status HTTP/1.1\r\nHost: x\r\n")
        let started = ContinuousClock.now
        #expect(await connection.receiveAll() == "")
        #expect(started.duration(to: .now) < .seconds(4))
        try await server.stop()
    }
}
