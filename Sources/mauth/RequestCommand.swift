import ArgumentParser
import AsyncHTTPClient
import Foundation
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

    @Argument(help: "The HTTP method, such as GET.")
    var method: String

    @Argument(help: "The URL, such as http://127.0.0.1:8080/.")
    var url: String

    @Argument(help: "The body, or @FILE to send a file's bytes.")
    var body: String?

    func validate() throws {
        guard !(verbose && quiet) else { throw ValidationError("-v and -q are alternatives") }
        guard let scheme = URLComponents(string: url)?.scheme?.lowercased(), scheme == "http" || scheme == "https"
        else {
            throw ValidationError("URL must be an http or https URL, not '\(url)'")
        }
        for header in headers where !header.contains(":") {
            throw ValidationError("-H must look like 'Name: value', not '\(header)'")
        }
    }

    func run() async throws {
        let configuration: MAuthConfiguration
        do {
            configuration = try MAuthConfiguration.fromProcessEnvironment()
        } catch {
            throw CommandFailure.usage(error.message)
        }
        let signer = try makeSigner(configuration)
        var httpConfiguration = HTTPClient.Configuration()
        httpConfiguration.httpVersion = .automatic
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

    private func send(with httpClient: HTTPClient, configuration: MAuthConfiguration, signer: MAuthSigner) async throws
    {
        let client = MAuthHTTPClient(
            signer: signer,
            responseAuthenticator: authenticateResponse
                ? try responseAuthenticator(configuration, signer: signer, httpClient: httpClient) : nil,
            httpClient: httpClient
        )

        var request = HTTPClientRequest(url: url)
        request.method = HTTPMethod(rawValue: method.uppercased())
        let bodyBytes = try readBody()
        for header in headers {
            let colon = header.firstIndex(of: ":")!
            request.headers.add(
                name: header[..<colon].trimmingCharacters(in: .whitespaces),
                value: header[header.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            )
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
            throw CommandFailure("could not complete the request to \(url): \(error)")
        }
        transcript.request(method: method.uppercased(), url: url, headers: response.requestHeaders, body: bodyBytes)
        transcript.response(response)
        Terminal.write(Array(response.body.readableBytesView))
        if response.status.code >= 400 {
            throw CommandFailure("the server answered \(response.status.code) \(response.status.reasonPhrase)")
        }
    }

    private func readBody() throws -> [UInt8]? {
        guard let body else { return nil }
        if body.hasPrefix("@") {
            return try Terminal.readFile(String(body.dropFirst()), purpose: "body file")
        }
        return Array(body.utf8)
    }

    private func makeSigner(_ configuration: MAuthConfiguration) throws -> MAuthSigner {
        var configuration = configuration
        do {
            if let signVersions { configuration.signVersions = try MAuthVersion.list(from: signVersions) }
            if configuration.appUUID == nil, configuration.privateKey == nil {
                guard FileManager.default.fileExists(atPath: DevelopmentIdentityFiles.markerPath(in: ".mauth")) else {
                    throw CommandFailure.usage(
                        "no identity: set MAUTH_APP_UUID and MAUTH_PRIVATE_KEY_FILE, or run `mauth serve` here once to create .mauth/"
                    )
                }
                let identity = try DevelopmentIdentityFiles.loadOrCreate(in: ".mauth")
                configuration.appUUID = identity.files.appUUID
                configuration.privateKey = identity.key
            }
            return try configuration.signer()
        } catch let error as MAuthError {
            throw CommandFailure.usage(error.message)
        }
    }

    private func responseAuthenticator(_ configuration: MAuthConfiguration, signer: MAuthSigner, httpClient: HTTPClient)
        throws
        -> MAuthAuthenticator
    {
        if keysDir == nil, let mauthURL = configuration.mauthURL {
            let serviceClient = MAuthServiceClient(
                baseURL: mauthURL, apiVersion: configuration.apiVersion, signer: signer, httpClient: httpClient)
            return MAuthAuthenticator(keyProvider: MAuthServiceKeyProvider(client: serviceClient))
        }
        let directory = keysDir ?? ".mauth"
        guard FileManager.default.fileExists(atPath: directory) else {
            throw CommandFailure.usage("--keys-dir \(directory) does not exist")
        }
        return MAuthAuthenticator(keyProvider: DirectoryPublicKeyProvider(directory: directory))
    }
}
