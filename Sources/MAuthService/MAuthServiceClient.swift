public import AsyncHTTPClient
import Foundation
import HTTPTypes
public import MAuth
import NIOCore
import NIOHTTP1
import NIOPosix
import Tracing

/// Signed HTTP calls to a MAuth service (PROTOCOL.md §7).
///
/// Every call is signed with the calling app's own identity, as the service requires. Calls
/// time out, and a call whose connection could not be made is retried a few times with growing
/// pauses; any other failure is reported at once. Every failure is an ``/MAuth/MAuthError`` with
/// code `unableToAuthenticate` that names the cause.
public struct MAuthServiceClient: Sendable {
    /// The service's base URL, such as `https://mauth.example.com`, without a trailing slash.
    public let baseURL: String
    /// The API version in the service's paths; `v1`.
    public let apiVersion: String
    /// How long one attempt may take.
    public let timeout: Duration
    /// How many times a call is retried when its connection could not be made.
    public let connectionRetries: Int
    let signer: MAuthSigner
    let httpClient: HTTPClient
    private let pathPrefix: String

    /// Creates a client.
    ///
    /// - Parameters:
    ///   - baseURL: the service's base URL.
    ///   - apiVersion: the API version; `v1`.
    ///   - signer: the calling app's identity.
    ///   - httpClient: the client to send with; by default, one of the library's (see below) that
    ///     lives as long as the process.
    ///   - timeout: the limit for one attempt; 3 s by default.
    ///   - connectionRetries: retries after a failed connection attempt; 2 by default.
    public init(
        baseURL: String,
        apiVersion: String = "v1",
        signer: MAuthSigner,
        httpClient: HTTPClient? = nil,
        timeout: Duration = .seconds(3),
        connectionRetries: Int = 2
    ) {
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        self.baseURL = base
        self.apiVersion = apiVersion
        self.signer = signer
        self.httpClient = httpClient ?? Self.defaultHTTPClient
        self.timeout = timeout
        self.connectionRetries = connectionRetries
        self.pathPrefix = URLComponents(string: base)?.percentEncodedPath ?? ""
    }

    /// The HTTP client used when none is given.
    ///
    /// Unlike `HTTPClient.shared`, it does not keep retrying a connection that cannot be made
    /// until the call's deadline: the retries with pauses above are the only ones, so an
    /// unreachable service is reported in well under a second rather than after every attempt
    /// has run out its timeout. A connection that cannot be made also fails the other calls
    /// waiting for a connection to the service at that moment; each of them is retried the same
    /// way. It follows no redirects, which would carry the signature to another address. It lives
    /// as long as the process; being nobody else's, it is never shut down.
    static let defaultHTTPClient: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.redirectConfiguration = .disallow
        return HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: configuration)
    }()

    /// The largest answer read from the service: its documents (a key, an authentication
    /// ticket's verdict) take a few KiB, and a larger one is not read to its end.
    static let largestReply = 64 * 1024

    /// A response from the service.
    struct Reply: Sendable {
        let status: Int
        let headers: HTTPHeaders
        let body: ByteBuffer

        var bodyText: String { String(buffer: body) }
    }

    /// Sends a signed request to `path` (below `/mauth/<apiVersion>/`).
    func send(_ method: HTTPMethod, _ path: String, json body: [UInt8]? = nil) async throws(MAuthError) -> Reply {
        let servicePath = "/mauth/\(apiVersion)/\(path)"
        let signedHeaders: HTTPFields
        do {
            signedHeaders = try signer.headers(
                method: method.rawValue,
                target: MAuthRequestTarget(pathPrefix + servicePath),
                body: body ?? []
            )
        } catch {
            throw MAuthError(.unableToAuthenticate, "could not sign the call to the MAuth service: \(error.message)")
        }
        var request = HTTPClientRequest(url: baseURL + servicePath)
        request.method = method
        for field in signedHeaders {
            request.headers.add(name: field.name.rawName, value: field.value)
        }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        do {
            // Names the call; AsyncHTTPClient's client span beneath it carries the trace on.
            return try await withSpan("mauth.service \(method.rawValue)") { span async throws -> Reply in
                span.attributes["http.request.method"] = method.rawValue
                span.attributes["url.full"] = request.url
                let reply = try await exchangeRetrying(request)
                span.attributes["http.response.status_code"] = reply.status
                return reply
            }
        } catch let error as MAuthError {
            throw error
        } catch {
            throw MAuthError(.unableToAuthenticate, "could not call the MAuth service at \(baseURL): \(error)")
        }
    }

    /// `request` sent, and sent again after a connection failure, up to ``connectionRetries`` times.
    private func exchangeRetrying(_ request: HTTPClientRequest) async throws(MAuthError) -> Reply {
        var attempt = 0
        while true {
            do {
                return try await exchange(request)
            } catch {
                guard Self.isConnectionFailure(error), attempt < connectionRetries else {
                    if error is NIOTooManyBytesError {
                        throw MAuthError(
                            .unableToAuthenticate,
                            "the MAuth service at \(baseURL) answered over \(Self.largestReply / 1024) KiB, more than any of its documents"
                        )
                    }
                    let reason =
                        (error as? HTTPClientError) == .deadlineExceeded
                        ? "no complete answer within \(timeout)" : "\(error)"
                    throw MAuthError(
                        .unableToAuthenticate, "could not reach the MAuth service at \(baseURL): \(reason)")
                }
                attempt += 1
                try? await Task.sleep(for: .milliseconds(100 << attempt))
            }
        }
    }

    /// One request and its whole response within ``timeout``: the client's own deadline ends
    /// once the response head has arrived.
    private func exchange(_ request: HTTPClientRequest) async throws -> Reply {
        let (httpClient, timeout) = (self.httpClient, self.timeout)
        return try await withTimeLimit(timeout, timeoutError: HTTPClientError.deadlineExceeded) {
            let response = try await httpClient.execute(request, deadline: .distantFuture)
            let body = try await response.body.collect(upTo: Self.largestReply)
            return Reply(status: Int(response.status.code), headers: response.headers, body: body)
        }
    }

    private static func isConnectionFailure(_ error: any Error) -> Bool {
        if error is NIOConnectionError { return true }
        if let error = error as? IOError {
            return [ECONNREFUSED, ECONNRESET, ECONNABORTED, EHOSTUNREACH, ENETUNREACH].contains(error.errnoCode)
        }
        if let error = error as? HTTPClientError {
            return error == .connectTimeout || error == .remoteConnectionClosed
        }
        if let error = error as? ChannelError, case .connectTimeout = error { return true }
        return false
    }
}
