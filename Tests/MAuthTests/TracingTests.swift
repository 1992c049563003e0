import HTTPTypes
import InMemoryTracing
import MAuthTestSupport
import Testing
import Tracing

@testable import MAuth

@Suite("Authentication spans")
struct TracingTests {
    static func authenticate(_ headers: HTTPFields, authenticator: MAuthAuthenticator = Fixtures.authenticator())
        async -> FinishedInMemorySpan?
    {
        let tracer = InMemoryTracer()
        await withTracer(tracer) {
            _ = try? await authenticator.authenticate(
                method: "GET", target: MAuthRequestTarget("/x"), headers: headers, body: [UInt8]())
        }
        return tracer.finishedSpans.first { $0.operationName == "mauth.authenticate" }
    }

    @Test("an authentic request's span names the app, the version and the result")
    func authentic() async throws {
        let headers = HTTPFields(
            try Fixtures.signer(versions: [.v2]).headers(
                method: "GET", target: MAuthRequestTarget("/x"), body: [UInt8]()))
        let span = try #require(await Self.authenticate(headers))
        #expect(span.attributes.get("mauth.app_uuid") == .string(Fixtures.appUUID))
        #expect(span.attributes.get("mauth.protocol_version") == .int64(2))
        #expect(span.attributes.get("mauth.result") == .string("authentic"))
        #expect(span.status == nil)
    }

    @Test("a failure's span has the error status, the claimed app and the result")
    func failures() async throws {
        var tampered = HTTPFields(
            try Fixtures.signer(versions: [.v1]).headers(
                method: "GET", target: MAuthRequestTarget("/y"), body: [UInt8]()))
        let inauthentic = try #require(await Self.authenticate(tampered))
        #expect(inauthentic.attributes.get("mauth.result") == .string("inauthentic"))
        #expect(inauthentic.attributes.get("mauth.app_uuid") == .string(Fixtures.appUUID))
        #expect(inauthentic.attributes.get("mauth.protocol_version") == .int64(1))
        #expect(inauthentic.status?.code == .error)
        #expect(inauthentic.status?.message == "Signature verification failed for request.")

        tampered = HTTPFields(
            try Fixtures.signer(versions: [.v2]).headers(
                method: "GET", target: MAuthRequestTarget("/x"), body: [UInt8]()))
        let unable = try #require(
            await Self.authenticate(
                tampered,
                authenticator: MAuthAuthenticator(
                    keyProvider: FailingKeyProvider(), options: .init(clock: .fixed(Fixtures.time)))))
        #expect(unable.attributes.get("mauth.result") == .string("unable_to_authenticate"))
        #expect(unable.status?.code == .error)

        let unsigned = try #require(await Self.authenticate([:]))
        #expect(unsigned.attributes.get("mauth.result") == .string("inauthentic"))
        #expect(unsigned.attributes.get("mauth.app_uuid") == nil)
    }
}
