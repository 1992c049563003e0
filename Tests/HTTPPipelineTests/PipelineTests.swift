import HTTPPipeline
import HTTPTypes
import NIOCore
import Testing

@Suite("Pipeline, router and errors (no sockets)")
struct PipelineTests {
    /// Records the order in which it sees the request and the response.
    struct Tracing: Middleware {
        let name: String

        func handle(_ request: Request, context: RequestContext, next: any Handler) async throws -> Response {
            var request = request
            request.head.headerFields.append(HTTPField(name: HTTPField.Name("X-Trace")!, value: name))
            var response = try await next.handle(request, context: context)
            response.head.headerFields.append(HTTPField(name: HTTPField.Name("X-Trace")!, value: name))
            return response
        }
    }

    enum Tenant: RequestContextKey {
        typealias Value = String
    }

    struct SetsTenant: Middleware {
        func handle(_ request: Request, context: RequestContext, next: any Handler) async throws -> Response {
            var context = context
            context[Tenant.self] = "acme"
            return try await next.handle(request, context: context)
        }
    }

    static func get(_ path: String, method: HTTPRequest.Method = .get, body: String? = nil) -> Request {
        Request(
            head: HTTPRequest(method: method, scheme: "http", authority: "test", path: path),
            body: body.map { RequestBody(buffer: ByteBuffer(string: $0)) } ?? .empty
        )
    }

    static func text(_ response: Response) async throws -> String {
        String(buffer: try await response.body.collect(upTo: 1 << 20))
    }

    @Test("middlewares run in the order listed, responses come back in reverse")
    func order() async throws {
        let handler = HandlerFunction { request, _ in
            Response.text(request.head.headerFields[values: HTTPField.Name("X-Trace")!].joined(separator: ","))
        }
        let pipeline = Pipeline(Tracing(name: "outer"), Tracing(name: "inner"), handler: handler)
        let response = await pipeline.respond(to: Self.get("/"), context: RequestContext())
        #expect(try await Self.text(response) == "outer,inner")
        #expect(response.head.headerFields[values: HTTPField.Name("X-Trace")!] == ["inner", "outer"])
    }

    @Test("middlewares pass typed values to handlers through the context")
    func contextStorage() async throws {
        let pipeline = Pipeline(
            SetsTenant(), handler: HandlerFunction { _, context in .text(context[Tenant.self] ?? "none") })
        #expect(try await Self.text(pipeline.respond(to: Self.get("/"), context: RequestContext())) == "acme")
        #expect(RequestContext()[Tenant.self] == nil)
    }

    @Test("router: exact paths, 404, 405 with Allow, HEAD served by GET")
    func router() async throws {
        var router = Router()
        router.get("/items") { _, _ in .text("list") }
        router.post("/items") { request, _ in
            .text("created " + String(buffer: try await request.body.collect(upTo: 100)))
        }
        let pipeline = Pipeline(middlewares: [], handler: router)
        let context = RequestContext()

        #expect(try await Self.text(pipeline.respond(to: Self.get("/items?page=2"), context: context)) == "list")
        let created = await pipeline.respond(to: Self.get("/items", method: .post, body: "x"), context: context)
        #expect(try await Self.text(created) == "created x")
        let head = await pipeline.respond(to: Self.get("/items", method: .head), context: context)
        #expect(head.head.status == .ok)

        let missing = await pipeline.respond(to: Self.get("/items/"), context: context)
        #expect(missing.head.status == .notFound)
        #expect(missing.head.headerFields[.contentType] == "application/json")
        #expect(try await Self.text(missing) == #"{"error":"Not Found"}"#)

        let wrongMethod = await pipeline.respond(to: Self.get("/items", method: .delete), context: context)
        #expect(wrongMethod.head.status == .methodNotAllowed)
        #expect(wrongMethod.head.headerFields[.allow] == "GET, HEAD, POST")
    }

    @Test("an HTTPError renders as its status; any other error as a 500 that reveals nothing")
    func errors() async throws {
        struct DatabasePassword: Error {
            let secret = "hunter2"
        }
        var router = Router()
        router.get("/teapot") { _, _ in throw HTTPError(.init(code: 418), message: "short and stout") }
        router.get("/crash") { _, _ in throw DatabasePassword() }
        let pipeline = Pipeline(middlewares: [], handler: router)

        let teapot = await pipeline.respond(to: Self.get("/teapot"), context: RequestContext())
        #expect(teapot.head.status.code == 418)
        #expect(try await Self.text(teapot) == #"{"error":"short and stout"}"#)

        let crash = await pipeline.respond(to: Self.get("/crash"), context: RequestContext())
        #expect(crash.head.status == .internalServerError)
        let body = try await Self.text(crash)
        #expect(body == #"{"error":"Internal Server Error"}"#)
        #expect(!body.contains("hunter2"))
    }

    @Test("a response built from an Encodable value is its JSON, keys sorted; a value JSON cannot hold is a 500")
    func encodable() async throws {
        struct Item: Encodable {
            let name: String
            let id: Int
            let tags: [String]
        }
        var router = Router()
        router.get("/item") { _, _ in try .json(encoding: Item(name: "w/idget", id: 7, tags: ["a"]), status: .created) }
        router.get("/nan") { _, _ in try .json(encoding: ["ratio": Double.nan]) }
        let pipeline = Pipeline(middlewares: [], handler: router)

        let item = await pipeline.respond(to: Self.get("/item"), context: RequestContext())
        #expect(item.head.status == .created)
        #expect(item.head.headerFields[.contentType] == "application/json")
        #expect(try await Self.text(item) == #"{"id":7,"name":"w/idget","tags":["a"]}"#)

        let nan = await pipeline.respond(to: Self.get("/nan"), context: RequestContext())
        #expect(nan.head.status == .internalServerError)
    }

    @Test("a body larger than the limit is refused with 413")
    func bodyLimit() async throws {
        let body = RequestBody(buffer: ByteBuffer(string: String(repeating: "x", count: 11)))
        await #expect(throws: HTTPError.self) { try await body.collect(upTo: 10) }
        #expect(String(buffer: try await body.collect(upTo: 11)).count == 11)
        #expect(HTTPError.contentTooLarge(limit: 10).response.head.status == .contentTooLarge)
    }

    @Test("streamed bodies are read in order and only once")
    func streamedBody() async throws {
        // `Sendable` because `RequestBody` reads its source from one task at a time.
        final class Parts: RequestBodySource, @unchecked Sendable {
            var parts = ["a", "b", "c"]
            func nextBuffer() async throws -> ByteBuffer? {
                parts.isEmpty ? nil : ByteBuffer(string: parts.removeFirst())
            }
        }
        let body = RequestBody(source: Parts())
        #expect(String(buffer: try await body.collect(upTo: 3)) == "abc")
        #expect(try await body.collect(upTo: 3).readableBytes == 0)
        await #expect(throws: HTTPError.self) { try await RequestBody(source: Parts()).collect(upTo: 2) }
    }

    @Test("JSON text escapes what it must, and a response made from a document sends that text")
    func json() {
        let document = JSON.object([
            "quote": .string("say \"hi\"\n\\ \u{01}"), "n": .number(-2), "ok": .bool(true), "none": .null,
            "list": .array([.string("é"), .string("é\t☃"), .array([])]), "empty": .object([:]),
        ])
        let expected =
            #"{"quote":"say \"hi\"\n\\ \u0001","n":-2,"ok":true,"none":null,"list":["é","é\t☃",[]],"empty":{}}"#
        #expect(document.text == expected)
        let response = Response.json(document, status: .created)
        #expect(response.head.status == .created)
        #expect(response.head.headerFields[.contentType] == "application/json")
        #expect(response.body.buffer.map { String(buffer: $0) } == expected)
    }
}
