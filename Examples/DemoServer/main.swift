// The demo application behind MAuth authentication, on the reference server.
//
//     swift run DemoServer [KEYS_DIR]
//
// Callers' public keys are read from KEYS_DIR (default `.mauth`) as `<app_uuid>.pub` files;
// `mauth serve` does the same and also creates a development identity to call it with.
import DemoApplication
import HTTPPipeline
import HTTPPipelineServer
import Logging
import MAuth
import MAuthMiddleware
import ServiceLifecycle
import UnixSignals

let keysDirectory = CommandLine.arguments.dropFirst().first ?? ".mauth"
let logger = Logger(label: "demo")

// Authenticate every request except the exempt status route, then route it.
let authenticator = MAuthAuthenticator(keyProvider: DirectoryPublicKeyProvider(directory: keysDirectory))
let pipeline = Pipeline(
    MAuthMiddleware(authenticator: authenticator, exemptPaths: DemoApplication.exemptPaths),
    handler: DemoApplication.router()
)

// Serve HTTP/1.1 and HTTP/2 on port 8080 until SIGTERM or SIGINT, then finish in-flight requests.
let server = HTTPServer(configuration: HTTPServerConfiguration(port: 8080), handler: pipeline, logger: logger)
let services = ServiceGroup(
    configuration: .init(services: [server], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
)
try await services.run()
