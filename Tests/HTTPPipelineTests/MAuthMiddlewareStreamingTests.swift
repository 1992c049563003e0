import BodySpool
import Foundation
import HTTPPipeline
import HTTPTypes
import Locking
import MAuth
import MAuthMiddleware
import MAuthTestSupport
import NIOCore
import Testing

/// Bodies larger than the spool's memory threshold, streamed through ``MAuthMiddleware``.
@Suite("MAuth middleware with streamed bodies")
struct MAuthMiddlewareStreamingTests {
    /// A body streamed in parts, ending with `failure` if given.
    private struct PartsSource: RequestBodySource {
        let parts: Locked<[ByteBuffer]>
        let failure: HTTPError?

        init(_ body: [UInt8], partSize: Int = 10_000, failure: HTTPError? = nil) {
            parts = Locked(
                stride(from: 0, to: body.count, by: partSize).map {
                    ByteBuffer(bytes: body[$0..<min($0 + partSize, body.count)])
                })
            self.failure = failure
        }

        func nextBuffer() async throws -> ByteBuffer? {
            if let part = parts.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) { return part }
            if let failure { throw failure }
            return nil
        }
    }

    /// Answers the length and a checksum of the body it read, and counts its calls.
    private final class Recorder: Handler, Sendable {
        let calls = Locked(0)

        func handle(_ request: Request, context: RequestContext) async throws -> Response {
            calls.withLock { $0 += 1 }
            var length = 0
            var checksum: UInt64 = 0
            for try await part in request.body {
                length += part.readableBytes
                for byte in part.readableBytesView { checksum = checksum &* 31 &+ UInt64(byte) }
            }
            let caller = context.mauthIdentity.map { "v\($0.version.number)" } ?? "anonymous"
            return .text("\(caller) \(length) \(checksum)")
        }
    }

    private static func body(_ count: Int) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 13 &+ $0 >> 8) }
    }

    private static func checksum(_ bytes: [UInt8]) -> UInt64 {
        bytes.reduce(0) { $0 &* 31 &+ UInt64($1) }
    }

    private static func request(
        _ body: [UInt8], signedBody: [UInt8]? = nil, versions: [MAuthProtocolVersion] = [.v2],
        failure: HTTPError? = nil
    ) throws -> Request {
        var head = HTTPRequest(method: .post, scheme: "http", authority: "test", path: "/upload?part=1")
        head.headerFields.append(
            contentsOf: try Fixtures.signer(versions: versions).headers(
                method: "POST", target: MAuthRequestTarget("/upload?part=1"), body: signedBody ?? body))
        return Request(head: head, body: RequestBody(source: PartsSource(body, failure: failure)))
    }

    private static func respond(
        _ request: Request, spool: BodySpool, recorder: Recorder = Recorder(), maxBodySize: Int = Int.max,
        authenticator: MAuthAuthenticator = Fixtures.authenticator()
    ) async throws -> (HTTPResponse.Status, String) {
        let pipeline = Pipeline(
            MAuthMiddleware(authenticator: authenticator, maxBodySize: maxBodySize, spool: spool), handler: recorder)
        let response = await pipeline.respond(to: request, context: RequestContext())
        return (response.head.status, String(buffer: try await response.body.collect(upTo: 1 << 20)))
    }

    private static func withSpool(_ body: (BodySpool, URL) async throws -> Void) async throws {
        try await withTemporaryDirectory("spool") { directory in
            let spool = try BodySpool(configuration: .init(directory: directory.path, memoryThreshold: 4096))
            try await body(spool, directory)
            #expect(spool.bytesInMemory == 0)
            #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)
        }
    }

    @Test(
        "a body past the memory threshold is authenticated as it streams and reaches the handler whole",
        arguments: [[MAuthProtocolVersion.v1], [.v2], [.v1, .v2]])
    func authentic(versions: [MAuthProtocolVersion]) async throws {
        try await Self.withSpool { spool, _ in
            let body = Self.body(3_000_000)
            let (status, text) = try await Self.respond(try Self.request(body, versions: versions), spool: spool)
            #expect(status == .ok)
            #expect(text == "v\(versions.last!.number) 3000000 \(Self.checksum(body))")
        }
    }

    @Test("a tampered streamed body is 401 and never reaches the handler")
    func tampered() async throws {
        try await Self.withSpool { spool, _ in
            var signed = Self.body(500_000)
            let body = signed
            signed[250_000] ^= 0x20
            let recorder = Recorder()
            let (status, text) = try await Self.respond(
                try Self.request(body, signedBody: signed), spool: spool, recorder: recorder)
            #expect(status == .unauthorized)
            #expect(text == #"{"errors":{"mauth":["Signature verification failed for request."]}}"#)
            #expect(recorder.calls.withLock { $0 } == 0)
        }
    }

    @Test("a streamed body past the limit is 413, read no further than the limit")
    func tooLarge() async throws {
        try await Self.withSpool { spool, _ in
            let recorder = Recorder()
            let (status, _) = try await Self.respond(
                try Self.request(Self.body(100_000)), spool: spool, recorder: recorder, maxBodySize: 50_000)
            #expect(status == .contentTooLarge)
            #expect(recorder.calls.withLock { $0 } == 0)
        }
    }

    @Test("a body that breaks off answers the server's error and reaches no handler")
    func brokenBody() async throws {
        try await Self.withSpool { spool, _ in
            let recorder = Recorder()
            let (status, _) = try await Self.respond(
                try Self.request(Self.body(100_000), failure: HTTPError(.badRequest, message: "The body ended early.")),
                spool: spool, recorder: recorder)
            #expect(status == .badRequest)
            #expect(recorder.calls.withLock { $0 } == 0)
        }
    }

    @Test("a verifier that needs the bytes gets the spooled body read back")
    func verifierNeedsTheBytes() async throws {
        struct BytesVerifier: MAuthSignatureVerifier {
            let local = MAuthAuthenticator.localVerifier(
                keyProvider: InMemoryPublicKeyProvider([Fixtures.appUUID: Fixtures.publicKey]))
            func verify(_ check: MAuthSignatureCheck) async throws(MAuthError) {
                guard check.body.count == 200_000 else { throw MAuthError(.inauthentic, "no body") }
                try await local.verify(check)
            }
        }
        try await Self.withSpool { spool, _ in
            let body = Self.body(200_000)
            let (status, text) = try await Self.respond(
                try Self.request(body), spool: spool,
                authenticator: MAuthAuthenticator(
                    verifier: BytesVerifier(), options: .init(clock: .fixed(Fixtures.time))))
            #expect(status == .ok)
            #expect(text == "v2 200000 \(Self.checksum(body))")
        }
    }

    @Test(
        "a streamed response is signed over its whole body, which waits in the spool and is sent whole",
        arguments: [MAuthProtocolVersion.v1, .v2])
    func streamedResponseSigning(version: MAuthProtocolVersion) async throws {
        try await Self.withSpool { spool, _ in
            let body = Self.body(2_000_000)
            let handler = HandlerFunction { _, _ in
                Response(
                    status: .created,
                    body: ResponseBody { writer in
                        for start in stride(from: 0, to: body.count, by: 65_536) {
                            try await writer.write(ByteBuffer(bytes: body[start..<min(start + 65_536, body.count)]))
                        }
                    })
            }
            let pipeline = Pipeline(
                MAuthResponseSigningMiddleware(signer: Fixtures.signer(versions: [.v1, .v2]), spool: spool),
                handler: handler)
            var request = try Self.request([], versions: [version])
            request.body = .empty
            let response = await pipeline.respond(to: request, context: RequestContext())
            #expect(response.body.buffer == nil, "a spooled body is sent from the spool")
            let sent = try await response.body.collect(upTo: 4_000_000)
            #expect(Array(sent.readableBytesView) == body)
            let identity = try await Fixtures.authenticator().authenticate(response.head, body: sent.readableBytesView)
            #expect(identity.version == version)
        }
    }

    @Test(
        "a full spool file system answers 503 with a JSON body, and nothing reaches the handler",
        .enabled(if: TmpfsMount.isAvailable, "needs root to mount a small tmpfs"))
    func storageFull() async throws {
        try await TmpfsMount.with(kilobytes: 64) { directory in
            let spool = try BodySpool(configuration: .init(directory: directory.path, memoryThreshold: 4096))
            let recorder = Recorder()
            let (status, text) = try await Self.respond(
                try Self.request(Self.body(1_000_000)), spool: spool, recorder: recorder)
            #expect(status == .serviceUnavailable)
            #expect(text == #"{"errors":{"mauth":["The request body could not be stored"]}}"#)
            #expect(recorder.calls.withLock { $0 } == 0)
        }
    }
}
