// The demo service of `mauth serve` on Vapor 4, behind MAuthVaporMiddleware.
import ArgumentParser
import MAuth
import MAuthVapor
import Vapor

@main
struct VaporDemo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The demo service on Vapor 4: GET / and POST /echo need MAuth; GET /app_status does not.")

    @ArgumentParser.Option(help: "The port to listen on.")
    var port = 8080

    @ArgumentParser.Option(
        help: "The directory of callers' public keys, <app_uuid>.pub (`mauth serve` keeps one in .mauth).")
    var keysDir = ".mauth"

    /// What `GET /` answers.
    struct Caller: Content {
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
        // Vapor's own command line would read this program's options: give it none.
        let app = try await Application.make(Environment(name: "production", arguments: ["VaporDemo"]))
        app.http.server.configuration.hostname = "127.0.0.1"
        app.http.server.configuration.port = port
        let authenticator = MAuthAuthenticator(keyProvider: DirectoryPublicKeyProvider(directory: keysDir))
        // Outside the authenticated group, so load balancers can call it unsigned.
        app.get("app_status") { _ in "this route is exempt from authentication" }
        let signed = app.grouped(MAuthVaporMiddleware(authenticator: authenticator))
        signed.get { request -> Caller in
            let caller = try request.auth.require(MAuthIdentity.self)
            return Caller(msg: "authenticated", appUUID: caller.appUUID, protocolVersion: caller.version.number)
        }
        signed.post("echo") { request -> Response in
            // The middleware has collected the body; it stays on the request.
            var headers = HTTPHeaders()
            headers.contentType = request.headers.contentType ?? .binary
            return Response(status: .ok, headers: headers, body: .init(buffer: request.body.data ?? ByteBuffer()))
        }
        do {
            try await app.execute()
            try await app.asyncShutdown()
        } catch {
            try? await app.asyncShutdown()
            throw error
        }
    }
}
