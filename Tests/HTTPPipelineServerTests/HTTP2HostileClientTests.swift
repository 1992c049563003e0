import Foundation
import HTTPPipelineServer
import MAuthTestSupport
import Testing

/// HTTP/2 frames no real client sends, from the raw-frame probes of `scripts/hostile.py` (Python's
/// `h2`), against an in-process server.
@Suite("Reference server against hostile HTTP/2 clients", .serialized)
struct HTTP2HostileClientTests {
    /// Runs `scripts/hostile.py probe NAME` against `port` and returns its observations.
    static func probe(_ name: String, port: Int, arguments: [String] = []) async throws -> [String: Any] {
        let python = try #require(PythonReference.interpreter, "Python 3 with h2 is needed for these tests")
        let result = try await withTemporaryDirectory("hostile-identity") { identity in
            try Fixtures.privateKeyPEM.write(
                to: identity.appendingPathComponent("\(Fixtures.appUUID).key"), atomically: true, encoding: .utf8)
            return try await ChildProcess.run(
                URL(fileURLWithPath: python),
                [
                    Fixtures.packageRoot.appendingPathComponent("scripts/hostile.py").path, "probe", name,
                    "--port", "\(port)", "--mauth", try ChildProcess.mauthExecutable().path,
                    "--identity-dir", identity.path,
                ] + arguments
            )
        }
        let observed = try JSONSerialization.jsonObject(with: result.output) as? [String: Any]
        return try #require(observed, "the probe printed no observations: \(result.text) \(result.errorText)")
    }

    @Test("a malformed stream is reset alone; a connection error ends with a GOAWAY naming the last stream")
    func malformedStream() async throws {
        let server = try await TestServer()
        let observed = try await Self.probe("h2-bad-stream", port: server.ports.cleartext)
        #expect(observed["passed"] as? Bool == true, "\(observed)")
        try await server.stop()
    }

    @Test("every stream whose response a zero flow-control window holds back is reset after the write timeout")
    func zeroWindow() async throws {
        // Each body is well past a stream's 64 KiB high-water mark, and all of them together are
        // small enough for the client to upload them long before the first write timeout, however
        // busy the machine: `scripts/hostile` sends 90 bodies of 1 MB to a release server instead.
        // 30 streams also stay within the streams NIOHTTP2 remembers as reset, so a client still
        // uploading to a reset stream is not taken for a broken one.
        let server = try await TestServer(maxBodySize: 2_000_000) { $0.writeTimeout = .seconds(3) }
        let observed = try await Self.probe(
            "h2-zero-window", port: server.ports.cleartext,
            arguments: ["--write-timeout", "3", "--streams", "30", "--body-kb", "256"])
        #expect(observed["passed"] as? Bool == true, "\(observed)")
        #expect(observed["reset"] as? Int == 30, "\(observed)")
        try await server.stop()
    }

    @Test(
        "streams whose windows are open on a connection whose window stays shut cost no memory and are reset after the write timeout"
    )
    func connectionWindowNeverOpened() async throws {
        // 8 streams of 64 MiB each: before the server counted the connection's window, their
        // handlers wrote all 512 MiB into NIOHTTP2's buffers (+519 MB), and nothing reset them.
        // The bound leaves room for the suites that run beside this one in the same process;
        // `scripts/bodies` holds a server of its own to the 32 MB.
        let server = try await TestServer { $0.writeTimeout = .seconds(3) }
        let observed = try await Self.probe(
            "h2-connection-window", port: server.ports.cleartext,
            arguments: [
                "--write-timeout", "3", "--path", "/flood", "--server-pid",
                "\(ProcessInfo.processInfo.processIdentifier)",
                "--rss-limit-mb", "160",
            ])
        #expect(observed["passed"] as? Bool == true, "\(observed)")
        #expect(observed["reset"] as? Int == 8, "\(observed)")
        try await server.stop()
    }

    @Test("a stream the client resets cancels its handler", .timeLimit(.minutes(1)))
    func resetCancelsHandler() async throws {
        try await withTestCertificate { certificate in
            let server = try await TestServer(tls: certificate)
            try await withHTTPClient { client in
                var events = TestServer.untilCancelledEvents.stream.makeAsyncIterator()
                let request = Task {
                    try await ServerTests.send(client, server.secureBaseURL, target: "/until-cancelled", sign: false)
                }
                #expect(await events.next() == "started")
                request.cancel()
                _ = try? await request.value
                #expect(await events.next() == "cancelled", "the handler ran to its end")
            }
            try await server.stop()
        }
    }
}
