// The demo application of the Python client's README (its Flask and FastAPI examples), written
// with this package's pipeline. `mauth serve` and `Examples/DemoServer` both host it.
public import HTTPPipeline
import HTTPTypes
import MAuth
public import MAuthMiddleware

/// Three routes: one that reports who called, one that echoes the body (proving the body
/// survives authentication), and a status route that is exempt from authentication.
public enum DemoApplication {
    /// The routes that skip authentication.
    public static let exemptPaths: ExemptPaths = ["/app_status"]

    /// The application's routes.
    ///
    /// - Parameter maxBodySize: the largest body `/echo` reads.
    public static func router(maxBodySize: Int = MAuthMiddleware.defaultMaxBodySize) -> Router {
        var router = Router()

        // GET / → who called, and with which protocol version.
        router.get("/") { _, context in
            guard let caller = context.mauthIdentity else {
                throw HTTPError(.unauthorized, message: "This route needs an MAuth-signed request.")
            }
            let body = JSON.object([
                "msg": .string("authenticated"),
                "app_uuid": .string(caller.appUUID),
                "protocol_version": .number(caller.version.number),
            ])
            return .json(body)
        }

        // POST /echo → the request body, byte for byte.
        router.post("/echo") { request, _ in
            let body = try await request.body.collect(upTo: maxBodySize)
            var headerFields = HTTPFields()
            headerFields[.contentType] = request.head.headerFields[.contentType] ?? "application/octet-stream"
            return Response(status: .ok, headerFields: headerFields, body: ResponseBody(buffer: body))
        }

        // GET /app_status → open to everyone: load balancers and monitors call it unsigned.
        router.get("/app_status") { _, _ in
            .text("this route is exempt from authentication")
        }

        return router
    }
}
