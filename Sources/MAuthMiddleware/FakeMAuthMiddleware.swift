public import HTTPPipeline
import HTTPTypes
import MAuth
public import MAuthIntegration
import Synchronization

/// Stands in for ``MAuthMiddleware`` in application tests (PROTOCOL.md §9.3).
///
/// It never checks a signature and never contacts a MAuth service: it trusts the app UUID written
/// in the V2 (else V1) authentication header, stores it as the caller's identity, and passes the
/// request on. A request without an authentication header answers 401 like the real middleware.
/// ``rejectNextRequest()`` makes the next request answer 401; the switch then resets.
public final class FakeMAuthMiddleware: Middleware {
    private let rejectNext = Atomic<Bool>(false)
    private let exemptPaths: ExemptPaths

    /// Creates the middleware; `exemptPaths` pass untouched, as with ``MAuthMiddleware``.
    public init(exemptPaths: ExemptPaths = []) {
        self.exemptPaths = exemptPaths
    }

    /// Makes the next request fail with the usual 401 body.
    public func rejectNextRequest() {
        rejectNext.store(true, ordering: .sequentiallyConsistent)
    }

    /// Passes `request` to `next` as if the app UUID in its authentication header had signed it.
    ///
    /// - Parameters:
    ///   - request: the request; only its authentication header and path are looked at.
    ///   - context: the request's context; the identity is set on the copy handed to `next`.
    ///   - next: the rest of the pipeline.
    /// - Returns: `next`'s response, or a 401 with the real middleware's JSON body when the request
    ///   carries no authentication header or ``rejectNextRequest()`` was called.
    /// - Throws: whatever `next` throws.
    public func handle(_ request: Request, context: RequestContext, next: any Handler) async throws -> Response {
        if exemptPaths.contains(rawPath: request.path) {
            return try await next.handle(request, context: context)
        }
        let rejected = rejectNext.exchange(false, ordering: .sequentiallyConsistent)
        let fields = request.head.headerFields
        let signed = [MAuthProtocolVersion.v2, .v1].lazy.compactMap { version -> MAuthIdentity? in
            guard let value = fields[version.authenticationHeader],
                let start = value.firstIndex(of: " "),
                let colon = value.firstIndex(of: ":"), start < colon
            else { return nil }
            let appUUID = value[value.index(after: start)..<colon].trimmingPrefix(" ")
            return appUUID.isEmpty ? nil : MAuthIdentity(appUUID: String(appUUID), version: version)
        }.first
        guard !rejected, let signed else {
            let message =
                rejected
                ? "Signature verification failed for request." : "Authentication Failed. No mAuth signature present."
            return .json(
                JSON.object(["errors": .object(["mauth": .array([.string(message)])])]), status: .unauthorized)
        }
        var context = context
        context.mauthIdentity = signed
        return try await next.handle(request, context: context)
    }
}
