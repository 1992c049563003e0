// A generated OpenAPI client that calls the demo service (`mauth serve`) with every request
// signed by MAuthOpenAPIClientMiddleware.
import ArgumentParser
import DemoAPI
import Foundation
import MAuth
import MAuthOpenAPI
import OpenAPIAsyncHTTPClient
import OpenAPIRuntime

@main
struct OpenAPIDemoClient: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Call the demo service's getStatus, getCaller and echo operations, signed.",
        discussion: """
            The identity comes from the environment (MAUTH_APP_UUID and MAUTH_PRIVATE_KEY_FILE, or the other \
            names mauth request reads), else from the development identity that `mauth serve` keeps in .mauth.
            """)

    @Option(help: "The service's URL.")
    var url = "http://127.0.0.1:8080"

    @Option(help: "v1, v2 or v1,v2.")
    var signVersions = "v2"

    func run() async throws {
        guard let serverURL = URL(string: url) else { throw ValidationError("--url must be a URL, not '\(url)'") }
        let client = Client(
            serverURL: serverURL,
            transport: AsyncHTTPClientTransport(),
            middlewares: [MAuthOpenAPIClientMiddleware(signer: try signer())]
        )
        print("getStatus:", try await client.getStatus().ok.body.plainText.collectedString())
        let caller = try await client.getCaller().ok.body.json
        print("getCaller: app \(caller.app_uuid), protocol v\(caller.protocol_version)")
        let echoed = try await client.echo(body: .binary(HTTPBody("signed by a generated client"))).ok.body.binary
        print("echo:", try await String(collecting: echoed, upTo: 1 << 20))
    }

    private func signer() throws -> MAuthSigner {
        var configuration = try MAuthConfiguration.fromProcessEnvironment()
        configuration.signVersions = try MAuthProtocolVersion.list(from: signVersions)
        if configuration.appUUID == nil, configuration.privateKey == nil,
            let marker = try? String(contentsOfFile: ".mauth/development-app-uuid", encoding: .utf8)
        {
            let appUUID = marker.trimmingCharacters(in: .whitespacesAndNewlines)
            configuration.appUUID = appUUID
            configuration.privateKey = try MAuthPrivateKey(contentsOfFile: ".mauth/\(appUUID).key")
        }
        return try configuration.signer()
    }
}

extension HTTPBody {
    fileprivate func collectedString() async throws -> String { try await String(collecting: self, upTo: 1 << 20) }
}
