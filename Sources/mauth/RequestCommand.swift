import ArgumentParser
import AsyncHTTPClient
import BodySpool
import Foundation
import HTTPTypes
import MAuth
import MAuthService
import NIOCore
import NIOPosix
import NIOSSL

struct RequestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "request",
        abstract: "Send one MAuth-signed request and print the exchange.",
        discussion: """
            The identity comes from the environment (MAUTH_APP_UUID or APP_UUID, and MAUTH_PRIVATE_KEY, \
            PRIVATE_KEY or MAUTH_PRIVATE_KEY_FILE); with none set, the development identity that \
            `mauth serve` keeps in .mauth/ is used. Exits 1 on HTTP status 400 or more, on an \
            inauthentic response and on connection errors, with a one-line reason; 2 on usage errors.
            """
    )

    @Flag(name: .short, help: "Print the request and response heads as well as the body (the default).")
    var verbose = false

    @Flag(name: .short, help: "Print only the response body.")
    var quiet = false

    @Flag(help: "Require a valid MAuth signature on the response.")
    var authenticateResponse = false

    @Option(
        help:
            "Where responders' public keys come from with --authenticate-response: a directory of <app_uuid>.pub files (default: MAUTH_URL's service, else .mauth)."
    )
    var keysDir: String?

    @Option(help: "v1, v2 or v1,v2 (default: MAUTH_SIGN_VERSIONS, else v1).")
    var signVersions: String?

    @Option(name: [.customShort("H"), .customLong("header")], help: "An extra header, 'Name: value'; repeatable.")
    var headers: [String] = []

    @Option(
        name: [.customShort("t"), .customLong("content-type")],
        help: "The body's content type (default application/json when there is a body).")
    var contentType: String?

    @Flag(help: "Do not verify the server's TLS certificate.")
    var insecure = false

    @Flag(help: "Print the string to sign of each signature sent, in the layout of `mauth verify --explain`.")
    var explain = false

    @Flag(help: "Speak HTTP/2 over cleartext (an http:// URL) without negotiating it first.")
    var http2PriorKnowledge = false

    @OptionGroup var configOptions: ConfigOptions

    @Flag(
        help: """
            When the server refuses the signature and its Date shows this machine's clock off by more than \
            MAuth allows, sign once more with the server's time and send again.
            """)
    var correctClockSkew = false

    @Argument(help: "The HTTP method, such as GET.")
    var method: String

    @Argument(help: "The URL, such as http://127.0.0.1:8080/.")
    var url: String

    @Argument(help: "The body, or @FILE to send a file's bytes (read in pieces: a file of any size costs 1 MiB).")
    var body: String?

    func validate() throws {
        guard !(verbose && quiet) else { throw ValidationError("-v and -q are alternatives") }
        guard !method.isEmpty, method.allSatisfy({ $0.isASCII && ($0.isLetter || $0 == "-") }) else {
            throw ValidationError("METHOD must be an HTTP method such as GET, not '\(method)'")
        }
        guard let scheme = URLComponents(string: url)?.scheme?.lowercased(), scheme == "http" || scheme == "https"
        else {
            throw ValidationError("URL must be an http or https URL, not '\(url)'")
        }
        if http2PriorKnowledge, !url.lowercased().hasPrefix("http://") {
            throw ValidationError("--http2-prior-knowledge needs an http:// URL; https negotiates HTTP/2 by itself")
        }
        for header in headers where !header.contains(":") {
            throw ValidationError("-H must look like 'Name: value', not '\(header)'")
        }
    }

    /// The largest response body the command reads.
    static let maxResponseSize = 32 << 20

    /// The largest body whose strings to sign `--explain` prints.
    static let largestBodyExplained = 1 << 20

    func run() async throws {
        let configuration = try await configOptions.load()
        let signer = try SigningIdentity.signer(configuration, signVersions: signVersions)
        let headerFields = try headers.map { try HeaderArgument.parse($0, option: "-H") }
        let outgoingBody = try body.map(OutgoingBody.init(argument:))
        let request = try await OutgoingRequest(
            method: method, url: url, headers: headerFields, contentType: contentType, body: outgoingBody,
            signer: signer)
        var httpConfiguration = HTTPClient.Configuration()
        httpConfiguration.httpVersion = .automatic
        // Like curl, a connection that cannot be made is reported at once rather than retried
        // until the timeout.
        httpConfiguration.connectionPool.retryConnectionEstablishment = false
        // A redirect would carry the signature to wherever the 3xx points; it is shown instead.
        httpConfiguration.redirectConfiguration = .disallow
        if insecure {
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.certificateVerification = .none
            httpConfiguration.tlsConfiguration = tls
        }
        let httpClient = HTTPClient(
            eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: httpConfiguration)
        do {
            try await exchange(request, signer: signer, configuration: configuration, httpClient: httpClient) {
                try await OutgoingRequest(
                    method: method, url: url, headers: headerFields, contentType: contentType, body: outgoingBody,
                    signer: $0)
            }
            try await httpClient.shutdown()
        } catch {
            try? await httpClient.shutdown()
            throw error
        }
    }

    /// A transport failure in words, with the fix when there is an obvious one.
    static func reason(_ error: any Error) -> String {
        let description = String(describing: error)
        // NIOSSL reports an untrusted certificate only inside BoringSSL's error text.
        if description.contains("CERTIFICATE_VERIFY_FAILED") {
            return "the server's TLS certificate is not trusted (pass --insecure to skip verification)"
        }
        if let error = error as? HTTPClientError, error == .connectTimeout || error == .deadlineExceeded {
            return "no answer in time"
        }
        let ioError = (error as? IOError) ?? ((error as? NIOConnectionError)?.connectionErrors.first?.error as? IOError)
        if ioError?.errnoCode == ECONNREFUSED {
            return "the connection was refused (is the server running?)"
        }
        return description
    }

    /// Sends `request` over the chosen transport, authenticates the response when asked, and
    /// prints the exchange. A refusal that shows this machine's clock too far from the server's is
    /// reported with the skew, or, with `--correct-clock-skew`, sent again once as `resign`
    /// signs it with the server's time.
    private func exchange(
        _ request: OutgoingRequest, signer: MAuthSigner, configuration: MAuthConfiguration, httpClient: HTTPClient,
        resign: (MAuthSigner) async throws -> OutgoingRequest
    ) async throws {
        let authenticator =
            authenticateResponse
            ? try SigningIdentity.responseAuthenticator(
                keysDir: keysDir, configuration: configuration, signer: signer, httpClient: httpClient) : nil
        let transport: any RequestTransport =
            http2PriorKnowledge
            ? PriorKnowledgeTransport(maxResponseSize: Self.maxResponseSize)
            : AsyncHTTPClientTransport(httpClient: httpClient, maxResponseSize: Self.maxResponseSize)
        var (request, signer) = (request, signer)
        var response = try await send(request, over: transport)
        var skew = Self.clockSkew(of: response, to: request, signer: signer)
        if correctClockSkew, let found = skew {
            Terminal.writeError("mauth request: \(found); signing again with the server's time")
            signer = signer.correcting(found)
            request = try await resign(signer)
            response = try await send(request, over: transport)
            skew = Self.clockSkew(of: response, to: request, signer: signer)
        }
        var responder: MAuthIdentity?
        if let authenticator {
            do {
                responder = try await Self.authenticate(response, with: authenticator)
            } catch  where error.code == .inauthentic {
                throw CommandFailure("the response is inauthentic: \(error.message)")
            } catch {
                throw CommandFailure(error.message)
            }
        }
        let transcript = Transcript(enabled: !quiet)
        transcript.request(request, protocolName: response.protocolName)
        transcript.response(response, responder: responder)
        if explain {
            try printStringsToSign(of: request, signer: signer)
        }
        try response.body.forEachPart { Terminal.write(Array($0.readableBytesView)) }
        if response.head.status.code >= 400 {
            var reason = "the server answered \(response.head.status.code) \(response.reasonPhrase)"
            if let skew {
                reason += "; \(skew): set this machine's clock, or pass --correct-clock-skew"
            }
            throw CommandFailure(reason)
        }
    }

    private func send(_ request: OutgoingRequest, over transport: any RequestTransport) async throws
        -> ReceivedResponse
    {
        do {
            return try await withTimeLimit(.seconds(30), timeoutError: HTTPClientError.deadlineExceeded) {
                try await transport.send(request)
            }
        } catch let failure as CommandFailure {
            throw failure
        } catch {
            throw CommandFailure("could not complete the request to \(url): \(Self.reason(error))")
        }
    }

    /// How far the server's clock is from the time `request` was signed with, when `response`
    /// refused it and its `Date` shows more than MAuth allows.
    private static func clockSkew(of response: ReceivedResponse, to request: OutgoingRequest, signer: MAuthSigner)
        -> MAuthClockSkew?
    {
        guard let version = signer.versions.last,
            let signingTime = request.head.headerFields[version.timeHeader].flatMap({ Int64($0) })
        else { return nil }
        return MAuthClockSkew(
            status: response.head.status.code, date: response.head.headerFields[.date], signingTime: signingTime)
    }

    /// Authenticates a response from its spooled body: from its digest when the authenticator
    /// checks signatures itself, else from its bytes read back.
    private static func authenticate(_ response: ReceivedResponse, with authenticator: MAuthAuthenticator)
        async throws(MAuthError) -> MAuthIdentity
    {
        do {
            guard authenticator.verifiesBodyDigests else {
                return try await authenticator.authenticate(
                    response.head, body: try response.body.readAll().readableBytesView)
            }
            let digester = MAuthBodyDigester(
                responseStatus: response.head.status.code, headers: response.head.headerFields)
            try response.body.forEachPart { part in part.withUnsafeReadableBytes { digester.update($0) } }
            return try await authenticator.authenticate(response.head, bodyDigest: digester.finish())
        } catch let error as MAuthError {
            throw error
        } catch {
            throw MAuthError(.unableToAuthenticate, "the response could not be read back: \(error)")
        }
    }

    /// Rebuilds what the signer signed from what was sent: the method, the target, the body, and
    /// each version's time header.
    private func printStringsToSign(of request: OutgoingRequest, signer: MAuthSigner) throws {
        var body: [UInt8] = []
        if let outgoing = request.body {
            guard let bytes = try outgoing.bytes(upTo: Self.largestBodyExplained) else {
                Terminal.writeLine(
                    "* the strings to sign are not shown for a body over \(Self.largestBodyExplained) bytes")
                return
            }
            body = bytes
        }
        for version in signer.versions.reversed() {
            guard let time = request.head.headerFields[version.timeHeader] else { continue }
            let stringToSign = MAuthStringToSign.request(
                version: version, method: request.head.method.rawValue,
                target: MAuthRequestTarget(request.head.path ?? "/"), body: body,
                appUUID: signer.appUUID, time: time)
            Terminal.writeLine(
                "* signed \(version) (\(version.authenticationHeader.rawName)) as app \(signer.appUUID):")
            for line in MAuthSignatureExplanation.layout(of: stringToSign, version: version) {
                Terminal.writeLine("*   " + line)
            }
        }
    }

}
