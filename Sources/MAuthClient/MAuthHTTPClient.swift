public import AsyncHTTPClient
import HTTPTypes
public import MAuth
public import NIOCore
public import NIOHTTP1
import NIOPosix

/// An HTTP client that signs every request and, when asked, authenticates every response
/// (PROTOCOL.md §9.2).
///
/// ```swift
/// let client = MAuthHTTPClient(signer: try configuration.signer(), responseAuthenticator: authenticator)
/// let response = try await client.execute(HTTPClientRequest(url: "https://api.example.com/v1/items"))
/// print(response.status, response.responder?.appUUID ?? "unsigned")
/// ```
public struct MAuthHTTPClient: Sendable {
    /// A response, its body read in full.
    public struct Response: Sendable {
        /// The status.
        public let status: HTTPResponseStatus
        /// The header fields.
        public let headers: HTTPHeaders
        /// The body.
        public let body: ByteBuffer
        /// The HTTP version the response came with.
        public let version: HTTPVersion
        /// The app that signed the response, when responses are authenticated.
        public let responder: MAuthIdentity?
        /// The header fields the request was sent with, signature included.
        public let requestHeaders: HTTPHeaders
        /// The URL the request was sent to, as signed.
        public let requestURL: String
        /// When the server refused the signature (401) and its `Date` is further from the signing
        /// time than MAuth allows: how far apart the clocks are, the likely cause.
        public let clockSkew: MAuthClockSkew?
    }

    /// The HTTP client used when none is given. It follows no redirects: AsyncHTTPClient would
    /// send the request's signature headers on to the address a 3xx names, which could be another
    /// host that then replays them. It lives as long as the process; being nobody else's, it is
    /// never shut down.
    static let defaultHTTPClient: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        return HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: configuration)
    }()

    let signer: MAuthSigner
    let responseAuthenticator: MAuthAuthenticator?
    let httpClient: HTTPClient
    let maxResponseSize: Int
    let correctsClockSkew: Bool

    /// Creates a client.
    ///
    /// - Parameters:
    ///   - signer: signs every request.
    ///   - responseAuthenticator: when set, every response must carry a valid MAuth signature;
    ///     otherwise ``execute(_:body:timeout:)`` throws.
    ///   - httpClient: the client to send with; by default, one of the library's that follows no
    ///     redirects and lives as long as the process. A client given here must not follow
    ///     redirects, or the signature goes wherever a 3xx points.
    ///   - maxResponseSize: the largest response body read, in bytes.
    ///   - correctsClockSkew: when a request is refused (401) and the response's `Date` shows this
    ///     machine's clock further from the server's than MAuth allows, sign it again once with
    ///     the server's time and send it again. Off by default: the skew is only reported
    ///     (``Response/clockSkew``), since the clock is better set right.
    public init(
        signer: MAuthSigner,
        responseAuthenticator: MAuthAuthenticator? = nil,
        httpClient: HTTPClient? = nil,
        maxResponseSize: Int = 32 * 1024 * 1024,
        correctsClockSkew: Bool = false
    ) {
        self.signer = signer
        self.responseAuthenticator = responseAuthenticator
        self.httpClient = httpClient ?? Self.defaultHTTPClient
        self.maxResponseSize = maxResponseSize
        self.correctsClockSkew = correctsClockSkew
    }

    /// Signs and sends `request` with `body`, and reads the response.
    ///
    /// - Throws: ``/MAuth/MAuthError`` when the request cannot be signed or, with response
    ///   authentication, when the response is inauthentic or its authenticity cannot be
    ///   determined; AsyncHTTPClient's errors when the request cannot be sent, and
    ///   `HTTPClientError.deadlineExceeded` when the whole response has not arrived in `timeout`.
    public func execute(_ request: HTTPClientRequest, body: ByteBuffer? = nil, timeout: Duration = .seconds(30))
        async throws -> Response
    {
        let response = try await execute(request, body: body, timeout: timeout, signer: signer)
        if correctsClockSkew, let skew = response.clockSkew {
            return try await execute(request, body: body, timeout: timeout, signer: signer.correcting(skew))
        }
        return response
    }

    private func execute(_ request: HTTPClientRequest, body: ByteBuffer?, timeout: Duration, signer: MAuthSigner)
        async throws -> Response
    {
        var request = request
        try signer.sign(&request, body: body)
        // AsyncHTTPClient traces the call itself: a client span that carries the trace on.
        let (httpClient, maxResponseSize, sent) = (self.httpClient, self.maxResponseSize, request)
        let (response, responseBody) = try await withTimeLimit(timeout, timeoutError: HTTPClientError.deadlineExceeded)
        {
            let response = try await httpClient.execute(sent, deadline: .distantFuture)
            return (response, try await response.body.collect(upTo: maxResponseSize))
        }
        var responder: MAuthIdentity?
        if let responseAuthenticator {
            guard let head = response.httpTypesHead else {
                throw MAuthError(
                    .unableToAuthenticate, "the response status \(response.status.code) is not a valid HTTP status")
            }
            responder = try await responseAuthenticator.authenticate(head, body: responseBody.readableBytesView)
        }
        return Response(
            status: response.status,
            headers: response.headers,
            body: responseBody,
            version: response.version,
            responder: responder,
            requestHeaders: request.headers,
            requestURL: request.url,
            clockSkew: request.headers.first(name: signer.versions.last!.timeHeader.rawName).flatMap(Int64.init).flatMap
            {
                MAuthClockSkew(
                    status: Int(response.status.code), date: response.headers.first(name: "Date"), signingTime: $0)
            }
        )
    }
}
