public import HTTPTypes

/// Sends each request to the handler registered for its method and exact path.
///
/// Paths are compared with the raw request path (without the query), byte for byte. A path with
/// no handler answers 404; a path with handlers for other methods answers 405 with an `Allow`
/// header. `HEAD` is served by the `GET` handler when it has no handler of its own (servers drop
/// the body).
///
/// ```swift
/// var router = Router()
/// router.get("/app_status") { _, _ in .text("ok") }
/// router.post("/echo") { request, _ in
///     Response(status: .ok, body: ResponseBody(buffer: try await request.body.collect(upTo: 1 << 20)))
/// }
/// ```
public struct Router: Handler {
    private var routes: [String: [HTTPRequest.Method: any Handler]] = [:]

    /// Creates a router with no routes.
    public init() {}

    /// Registers `handler` for `method` and `path`, replacing any earlier one.
    public mutating func on(_ method: HTTPRequest.Method, _ path: String, use handler: some Handler) {
        routes[path, default: [:]][method] = handler
    }

    /// Registers a closure for `method` and `path`.
    public mutating func on(
        _ method: HTTPRequest.Method,
        _ path: String,
        use handler: @escaping @Sendable (Request, RequestContext) async throws -> Response
    ) {
        on(method, path, use: HandlerFunction(handler))
    }

    /// Registers a `GET` handler.
    public mutating func get(
        _ path: String,
        use handler: @escaping @Sendable (Request, RequestContext) async throws -> Response
    ) {
        on(.get, path, use: handler)
    }

    /// Registers a `POST` handler.
    public mutating func post(
        _ path: String,
        use handler: @escaping @Sendable (Request, RequestContext) async throws -> Response
    ) {
        on(.post, path, use: handler)
    }

    /// Registers a `PUT` handler.
    public mutating func put(
        _ path: String,
        use handler: @escaping @Sendable (Request, RequestContext) async throws -> Response
    ) {
        on(.put, path, use: handler)
    }

    /// Registers a `DELETE` handler.
    public mutating func delete(
        _ path: String,
        use handler: @escaping @Sendable (Request, RequestContext) async throws -> Response
    ) {
        on(.delete, path, use: handler)
    }

    public func handle(_ request: Request, context: RequestContext) async throws -> Response {
        guard let handlers = routes[String(request.path)] else {
            throw HTTPError(.notFound)
        }
        let method = request.head.method
        if let handler = handlers[method] ?? (method == .head ? handlers[.get] : nil) {
            return try await handler.handle(request, context: context)
        }
        var allowed = handlers.keys.map(\.rawValue)
        if handlers[.get] != nil, handlers[.head] == nil { allowed.append("HEAD") }
        throw HTTPError(.methodNotAllowed, headerFields: [.allow: allowed.sorted().joined(separator: ", ")])
    }
}
