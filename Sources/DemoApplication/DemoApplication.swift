// The demo application of the Python client's README (its Flask and FastAPI examples), written
// with this package's pipeline. `mauth serve` and `Examples/DemoServer` both host it.
public import HTTPPipeline
import HTTPTypes
import MAuth
public import MAuthMiddleware
import NIOCore

/// Four routes: one that reports who called, one that echoes the body (proving the body survives
/// authentication), one that reads a body of any size as it streams and answers its length and
/// SHA-256, and a status route that is exempt from authentication.
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
            let caller = try context.requireMAuthIdentity()
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

        // POST /digest → the body's length and SHA-256, read as it streams: try a signed upload
        // of any size; the middleware spools what it authenticates, so memory does not follow it.
        router.post("/digest") { request, _ in
            let hasher = SHA256Hasher()
            var length = 0
            for try await part in request.body {
                length += part.readableBytes
                part.withUnsafeReadableBytes { hasher.update($0) }
            }
            return .json(JSON.object(["length": .number(length), "sha256": .string(hasher.finish())]))
        }

        // GET /app_status → open to everyone: load balancers and monitors call it unsigned.
        router.get("/app_status") { _, _ in
            .text("this route is exempt from authentication")
        }

        return router
    }
}
