// The demo service of `mauth serve` on Hummingbird 2, behind MAuthHummingbirdMiddleware.
import ArgumentParser
import Hummingbird
import MAuth
import MAuthHummingbird

@main
struct HummingbirdDemo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The demo service on Hummingbird 2: GET / and POST /echo need MAuth; GET /app_status does not.")

    @Option(help: "The port to listen on; 0 picks a free one.")
    var port = 8080

    @Option(help: "The directory of callers' public keys, <app_uuid>.pub (`mauth serve` keeps one in .mauth).")
    var keysDir = ".mauth"

    /// What `GET /` answers.
    struct Caller: ResponseEncodable {
        let msg: String
        let appUUID: String
        let protocolVersion: Int

        enum CodingKeys: String, CodingKey {
            case msg
            case appUUID = "app_uuid"
            case protocolVersion = "protocol_version"
        }
    }

    func run() async throws {
        let authenticator = MAuthAuthenticator(keyProvider: DirectoryPublicKeyProvider(directory: keysDir))
        let router = Router(context: BasicMAuthRequestContext.self)
        // Added before the middleware, so load balancers can call it unsigned.
        router.get("/app_status") { _, _ in "this route is exempt from authentication" }
        router.add(middleware: MAuthHummingbirdMiddleware(authenticator: authenticator))
        router.get("/") { _, context in
            let caller = try context.requireMAuthIdentity()
            return Caller(msg: "authenticated", appUUID: caller.appUUID, protocolVersion: caller.version.number)
        }
        router.post("/echo") { request, _ in
            // The middleware has read the body; the route reads it again.
            Response(
                status: .ok,
                headers: [.contentType: request.headers[.contentType] ?? "application/octet-stream"],
                body: ResponseBody(asyncSequence: request.body))
        }
        let app = Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: port)),
            onServerRunning: { channel in
                print("HummingbirdDemo: listening on http://127.0.0.1:\(channel.localAddress?.port ?? port)")
            })
        try await app.runService()
    }
}
