// A service behind MAuth: the pipeline, the middleware and the reference server.
// snippet.hide
import HTTPPipeline
import HTTPPipelineServer
import Logging
import MAuth
import MAuthMiddleware

// snippet.show
let logger = Logger(label: "items")
var router = Router()
router.get("/") { _, context in
    let caller = try context.requireMAuthIdentity()  // set by MAuthMiddleware
    return .json(
        JSON.object(["app_uuid": .string(caller.appUUID), "protocol_version": .number(caller.version.number)]))
}
router.post("/echo") { request, _ in  // the body is still readable after authentication
    Response(status: .ok, body: ResponseBody(buffer: try await request.body.collect(upTo: 1 << 20)))
}
router.get("/app_status") { _, _ in .text("OK") }

let authenticator = MAuthAuthenticator(keyProvider: DirectoryPublicKeyProvider(directory: "keys"))
let pipeline = Pipeline(
    MAuthMiddleware(authenticator: authenticator, exemptPaths: ["/app_status"]),
    handler: router
)
let server = HTTPServer(configuration: HTTPServerConfiguration(port: 8080), handler: pipeline, logger: logger)
// snippet.hide
if CommandLine.arguments.contains("--run") {
    // snippet.show
    try await server.runService()  // until SIGTERM or SIGINT, then a graceful shutdown
    // snippet.hide
}
