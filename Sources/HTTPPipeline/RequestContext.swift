public import Logging
public import NIOCore

/// What travels with a request besides the request itself: where it came from, how it arrived,
/// and what middlewares have learned about it.
///
/// Middlewares store typed values (for example the MAuth identity of the caller) with
/// ``subscript(_:)`` and handlers read them back through typed accessors; there are no string keys.
public struct RequestContext: Sendable {
    /// The logger for this request, with request metadata attached.
    public var logger: Logger
    /// The peer's address, when known.
    public let remoteAddress: SocketAddress?
    /// The HTTP version the request arrived with.
    public let httpVersion: HTTPProtocolVersion
    /// Whether the request arrived over TLS.
    public let isSecure: Bool
    private var storage: [ObjectIdentifier: any Sendable] = [:]

    /// Creates a context; servers make one per request, tests make their own.
    public init(
        logger: Logger = Logger(label: "http.pipeline"),
        remoteAddress: SocketAddress? = nil,
        httpVersion: HTTPProtocolVersion = .http1,
        isSecure: Bool = false
    ) {
        self.logger = logger
        self.remoteAddress = remoteAddress
        self.httpVersion = httpVersion
        self.isSecure = isSecure
    }

    /// The value stored under `key`, or `nil`.
    public subscript<Key: RequestContextKey>(_ key: Key.Type) -> Key.Value? {
        get { storage[ObjectIdentifier(key)] as? Key.Value }
        set { storage[ObjectIdentifier(key)] = newValue }
    }
}
