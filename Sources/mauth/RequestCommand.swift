import ArgumentParser
import AsyncHTTPClient
import Foundation
import HTTPTypes
import MAuth
import MAuthClient
import MAuthService
import NIOCore
import NIOHTTP1
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

    @Argument(help: "The HTTP method, such as GET.")
    var method: String

    @Argument(help: "The URL, such as http://127.0.0.1:8080/.")
    var url: String

    @Argument(help: "The body, or @FILE to send a file's bytes.")
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

    func run() async throws {
        let configuration = try SigningIdentity.environment()
        let signer = try SigningIdentity.signer(configuration, signVersions: signVersions)
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
            try await send(with: httpClient, configuration: configuration, signer: signer)
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

    private func send(with httpClient: HTTPClient, configuration: MAuthConfiguration, signer: MAuthSigner) async throws
    {
        if http2PriorKnowledge {
            let authenticator =
                authenticateResponse
                ? try SigningIdentity.responseAuthenticator(
                    keysDir: keysDir, configuration: configuration, signer: signer, httpClient: httpClient) : nil
            try await sendWithPriorKnowledge(signer: signer, authenticator: authenticator)
            return
        }
        let client = MAuthHTTPClient(
            signer: signer,
            responseAuthenticator: authenticateResponse
                ? try SigningIdentity.responseAuthenticator(
                    keysDir: keysDir, configuration: configuration, signer: signer, httpClient: httpClient) : nil,
            httpClient: httpClient
        )

        var request = HTTPClientRequest(url: url)
        request.method = HTTPMethod(rawValue: method.uppercased())
        let bodyBytes = try readBody()
        for header in headers {
            let field = try HeaderArgument.parse(header, option: "-H")
            request.headers.add(name: field.name.rawName, value: field.value)
        }
        if bodyBytes != nil, !request.headers.contains(name: "Content-Type") {
            request.headers.add(name: "Content-Type", value: contentType ?? "application/json")
        }

        let transcript = Transcript(enabled: !quiet)
        let response: MAuthHTTPClient.Response
        do {
            response = try await client.execute(request, body: bodyBytes.map { ByteBuffer(bytes: $0) })
        } catch let error as MAuthError where error.code == .inauthentic {
            throw CommandFailure("the response is inauthentic: \(error.message)")
        } catch let error as MAuthError {
            throw CommandFailure(error.message)
        } catch {
            throw CommandFailure("could not complete the request to \(url): \(Self.reason(error))")
        }
        let version =
            response.version.major == 2 ? "HTTP/2" : "HTTP/\(response.version.major).\(response.version.minor)"
        transcript.request(
            method: method.uppercased(), url: response.requestURL, version: version,
            headers: response.requestHeaders.map { ($0.name, $0.value) }, body: bodyBytes)
        transcript.response(
            version: version,
            status: Int(response.status.code),
            reason: response.status.reasonPhrase,
            headers: response.headers.map { ($0.name, $0.value) },
            responder: response.responder
        )
        if explain {
            printStringsToSign(
                signer: signer, target: response.requestURL, body: bodyBytes ?? [],
                time: { response.requestHeaders.first(name: $0.rawName) })
        }
        Terminal.write(Array(response.body.readableBytesView))
        if response.status.code >= 400 {
            throw CommandFailure("the server answered \(response.status.code) \(response.status.reasonPhrase)")
        }
    }

    /// The same exchange over h2c, signed as an `HTTPRequest`.
    private func sendWithPriorKnowledge(signer: MAuthSigner, authenticator: MAuthAuthenticator?) async throws {
        guard let components = URLComponents(string: url), let host = components.host,
            let requestMethod = HTTPTypes.HTTPRequest.Method(method.uppercased())
        else {
            throw CommandFailure.usage("cannot send \(method) \(url)")
        }
        let port = components.port ?? 80
        // An IPv6 literal keeps its brackets in the authority but not in the address to connect to.
        let connectHost = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        var head = HTTPTypes.HTTPRequest(
            method: requestMethod,
            scheme: "http",
            authority: components.port.map { "\(host):\($0)" } ?? host,
            path: MAuthRequestTarget(url: url).description
        )
        for header in headers {
            head.headerFields.append(try HeaderArgument.parse(header, option: "-H"))
        }
        let bodyBytes = try readBody()
        if bodyBytes != nil, head.headerFields[.contentType] == nil {
            head.headerFields[.contentType] = contentType ?? "application/json"
        }
        try signer.sign(&head, body: bodyBytes ?? [])
        let reply: PriorKnowledgeExchange.Reply
        do {
            let (signedHead, body) = (head, bodyBytes.map { ByteBuffer(bytes: $0) })
            reply = try await withTimeLimit(.seconds(30), timeoutError: HTTPClientError.deadlineExceeded) {
                try await PriorKnowledgeExchange.send(
                    signedHead, body: body, host: connectHost, port: port, maxResponseSize: 32 << 20)
            }
        } catch let failure as CommandFailure {
            throw failure
        } catch {
            throw CommandFailure("could not complete the request to \(url): \(Self.reason(error))")
        }
        var responder: MAuthIdentity?
        if let authenticator {
            do {
                responder = try await authenticator.authenticate(reply.head, body: reply.body.readableBytesView)
            } catch  where error.code == .inauthentic {
                throw CommandFailure("the response is inauthentic: \(error.message)")
            } catch {
                throw CommandFailure(error.message)
            }
        }
        let transcript = Transcript(enabled: !quiet)
        transcript.request(
            method: method.uppercased(), url: url, version: "HTTP/2",
            headers: head.headerFields.map { ($0.name.rawName, $0.value) }, body: bodyBytes)
        let reason = HTTPResponseStatus(statusCode: reply.head.status.code).reasonPhrase
        transcript.response(
            version: "HTTP/2",
            status: reply.head.status.code,
            reason: reason,
            headers: reply.head.headerFields.map { ($0.name.rawName, $0.value) },
            responder: responder
        )
        if explain {
            printStringsToSign(
                signer: signer, target: head.path ?? "/", body: bodyBytes ?? [], time: { head.headerFields[$0] })
        }
        Terminal.write(Array(reply.body.readableBytesView))
        if reply.head.status.code >= 400 {
            throw CommandFailure("the server answered \(reply.head.status.code) \(reason)")
        }
    }

    /// Rebuilds what the signer signed from what was sent: the method, the target, the body, and
    /// each version's time header.
    private func printStringsToSign(
        signer: MAuthSigner, target: String, body: [UInt8], time: (HTTPField.Name) -> String?
    ) {
        for version in signer.versions.reversed() {
            guard let time = time(version.timeHeader) else { continue }
            let stringToSign = MAuthStringToSign.request(
                version: version, method: method.uppercased(), target: MAuthRequestTarget(url: target), body: body,
                appUUID: signer.appUUID, time: time)
            Terminal.writeLine(
                "* signed \(version) (\(version.authenticationHeader.rawName)) as app \(signer.appUUID):")
            for line in MAuthSignatureExplanation.layout(of: stringToSign, version: version) {
                Terminal.writeLine("*   " + line)
            }
        }
    }

    private func readBody() throws -> [UInt8]? {
        guard let body else { return nil }
        if body.hasPrefix("@") {
            return try Terminal.readFile(String(body.dropFirst()), purpose: "body file")
        }
        return Array(body.utf8)
    }
}
