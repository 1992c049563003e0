import Foundation
public import HTTPPipeline
import HTTPTypes
public import MAuth
import NIOCore

/// A MAuth-compatible service for development and CI, over a directory of `<app_uuid>.pub`
/// files (PROTOCOL.md §7).
///
/// - `GET /mauth/<version>/security_tokens/<app_uuid>.json` answers the real service's document
///   with `Cache-Control: max-age`, or 404 for an unknown app.
/// - `POST /mauth/<version>/authentication_tickets.json` checks a ticket (time, token and
///   signature, V1 or V2): 204 when authentic, 412 when not, 404 for an unknown app, 400 for a
///   malformed ticket.
///
/// Keys added to or removed from the directory are seen on the next request; apps can also be
/// registered in memory (``registeredKeys``), such as the identity a configuration file names. Put a
/// `MAuthMiddleware` over the same keys (``keyProvider``) in front of it to require signed calls, as
/// the real service does.
public struct DevelopmentMAuthService: Handler {
    /// The directory of public keys.
    public let keysDirectory: String
    /// The `max-age` sent with every security token.
    public let maxAge: Int
    /// The largest ticket accepted, in bytes.
    public let maxTicketSize: Int
    /// Apps registered besides the directory's, by app UUID; they win over a file of the same name.
    public let registeredKeys: [String: MAuthPublicKey]
    /// The keys the service answers with: ``registeredKeys``, then the directory's.
    public let keyProvider: any PublicKeyProvider
    private let directory: DirectoryPublicKeyProvider
    private let started = Date()
    private let ticketAuthenticator: MAuthAuthenticator

    /// Creates the service.
    public init(
        keysDirectory: String, registeredKeys: [String: MAuthPublicKey] = [:], maxAge: Int = 300,
        maxTicketSize: Int = 16 * 1024 * 1024, clock: MAuthClock = .system
    ) {
        self.keysDirectory = keysDirectory
        self.registeredKeys = registeredKeys
        self.maxAge = maxAge
        self.maxTicketSize = maxTicketSize
        let directory = DirectoryPublicKeyProvider(directory: keysDirectory, recheckInterval: .zero)
        self.directory = directory
        self.keyProvider = RegisteredOrDirectoryKeys(registered: registeredKeys, directory: directory)
        self.ticketAuthenticator = MAuthAuthenticator(keyProvider: keyProvider, options: .init(clock: clock))
    }

    /// Answers a security-token or authentication-ticket request.
    ///
    /// - Parameters:
    ///   - request: a request under `/mauth/<version>/`.
    ///   - context: the request's context (unused).
    /// - Returns: the token document; for a ticket, 204 when it is authentic, or 412 with the
    ///   reason in `{"errors":{"mauth":[…]}}` when it is not.
    /// - Throws: ``/HTTPPipeline/HTTPError``: 404 for another path or an unknown app, 405 for
    ///   another method, 400 for a malformed ticket, 413 for one over ``maxTicketSize``;
    ///   ``/MAuth/MAuthError`` when a ticket's authenticity cannot be determined (a 500).
    public func handle(_ request: Request, context: RequestContext) async throws -> Response {
        let segments = request.path.split(separator: "/", omittingEmptySubsequences: false)
        guard segments.count >= 4, segments[0].isEmpty, segments[1] == "mauth", segments[2].hasPrefix("v") else {
            throw HTTPError(.notFound)
        }
        let resource = segments[3...]
        if resource.count == 2, resource.first == "security_tokens", resource.last!.hasSuffix(".json") {
            guard request.head.method == .get || request.head.method == .head else {
                throw HTTPError(.methodNotAllowed, headerFields: [.allow: "GET, HEAD"])
            }
            let file = resource.last!
            let appUUID = String(file.dropLast(".json".count)).removingPercentEncoding ?? ""
            return try await securityToken(for: appUUID)
        }
        if resource.count == 1, resource.first == "authentication_tickets.json" {
            guard request.head.method == .post else {
                throw HTTPError(.methodNotAllowed, headerFields: [.allow: "POST"])
            }
            return try await authenticationTicket(try await request.body.collect(upTo: maxTicketSize))
        }
        throw HTTPError(.notFound)
    }

    private func securityToken(for appUUID: String) async throws -> Response {
        guard let key = try await keyProvider.publicKey(forAppUUID: appUUID) else {
            throw HTTPError(.notFound, message: "No security token for app \(appUUID).")
        }
        let created =
            registeredKeys[appUUID] != nil
            ? started
            : directory.keyFilePath(forAppUUID: appUUID).flatMap {
                try? FileManager.default.attributesOfItem(atPath: $0)[.modificationDate] as? Date
            } ?? Date()
        let document = SecurityTokenDocument(
            securityToken: .init(
                appName: appUUID, appUUID: appUUID, publicKeyText: key.pem,
                createdAt: ISO8601DateFormatter().string(from: created)))
        let encoder = JSONEncoder()
        encoder.outputFormatting = .withoutEscapingSlashes
        var response = Response.json(String(decoding: try encoder.encode(document), as: UTF8.self))
        response.head.headerFields[.cacheControl] = "max-age=\(maxAge), private"
        return response
    }

    private func authenticationTicket(_ body: ByteBuffer) async throws -> Response {
        let ticket = try AuthenticationTicket(json: Data(body.readableBytesView))
        guard try await keyProvider.publicKey(forAppUUID: ticket.appUUID) != nil else {
            throw HTTPError(.notFound, message: "No security token for app \(ticket.appUUID).")
        }
        let failure = await ticketFailure(ticket)
        guard let failure else { return Response(status: .noContent) }
        guard failure.code == .inauthentic else { throw failure }
        let body = JSON.object(["errors": .object(["mauth": .array([.string(failure.message)])])]).text
        return .json(body, status: .preconditionFailed)
    }

    /// Why the ticket's signature is not authentic, or `nil` when it is.
    private func ticketFailure(_ ticket: AuthenticationTicket) async -> MAuthError? {
        do {
            _ = try await ticketAuthenticator.authenticate(
                method: ticket.verb,
                target: MAuthRequestTarget(path: ticket.requestURL, query: ticket.queryString),
                headers: ticket.headers,
                body: ticket.body
            )
            return nil
        } catch {
            return error
        }
    }
}
