// The demo service of `mauth serve`, generated from Examples/DemoAPI/openapi.yaml and served on
// the Hummingbird transport, behind MAuthOpenAPIServerMiddleware.
import ArgumentParser
import DemoAPI
import Hummingbird
import MAuth
import MAuthOpenAPI
import OpenAPIHummingbird
import OpenAPIRuntime

@main
struct OpenAPIDemoServer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The demo service from openapi.yaml: getCaller and echo need MAuth; getStatus does not.")

    @Option(help: "The port to listen on; 0 picks a free one.")
    var port = 8080

    @Option(help: "The directory of callers' public keys, <app_uuid>.pub (`mauth serve` keeps one in .mauth).")
    var keysDir = ".mauth"

    func run() async throws {
        let authenticator = MAuthAuthenticator(keyProvider: DirectoryPublicKeyProvider(directory: keysDir))
        let router = Router()
        try DemoService().registerHandlers(
            on: router,
            middlewares: [
                MAuthOpenAPIServerMiddleware(authenticator: authenticator, exemptOperationIDs: ["getStatus"])
            ]
        )
        let app = Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: port)),
            onServerRunning: { channel in
                print("OpenAPIDemoServer: listening on http://127.0.0.1:\(channel.localAddress?.port ?? port)")
            })
        try await app.runService()
    }
}

/// The operations of openapi.yaml.
struct DemoService: APIProtocol {
    func getCaller(_ input: Operations.getCaller.Input) async throws -> Operations.getCaller.Output {
        guard let caller = MAuthIdentity.current else {
            return .unauthorized(.init(body: .json(.init(errors: .init(mauth: ["This operation needs MAuth."])))))
        }
        return .ok(
            .init(
                body: .json(
                    .init(msg: "authenticated", app_uuid: caller.appUUID, protocol_version: caller.version.number)))
        )
    }

    func echo(_ input: Operations.echo.Input) async throws -> Operations.echo.Output {
        guard case .binary(let body) = input.body else { throw HTTPError(.badRequest) }
        return .ok(.init(body: .binary(body)))
    }

    func getStatus(_ input: Operations.getStatus.Input) async throws -> Operations.getStatus.Output {
        .ok(.init(body: .plainText("this route is exempt from authentication")))
    }
}
