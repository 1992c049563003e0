import HTTPPipeline
import HTTPTypes
import Logging
import MAuth
import MAuthMiddleware

/// The answers to nginx's `auth_request` subrequests: whether the original request, named by
/// `X-Original-Method` and `X-Original-URI`, is authentic.
///
/// 204 with the identity fields when it is (without them for an exempt path), else the 401 or
/// 500 JSON of ``AuthenticatingProxy``. nginx sends a subrequest without the body, so only a
/// request whose signature covers an empty body can pass: one whose `X-Original-Content-Length`
/// is not `0` or whose `X-Original-Transfer-Encoding` is set has a body and is refused at once,
/// and a failed signature's message says why a body may be the cause. Such requests must go
/// through the gate itself. (The documented nginx configuration also sends no body on, so an
/// unsigned one cannot reach the service however it was framed.)
struct AuthRequestEndpoint: Sendable {
    let gate: MAuthGate
    let identityHeaders: AuthenticatingProxy.IdentityHeaders
    let logger: Logger

    static let originalMethod = HTTPField.Name("X-Original-Method")!
    static let originalURI = HTTPField.Name("X-Original-URI")!
    static let originalContentLength = HTTPField.Name("X-Original-Content-Length")!
    static let originalTransferEncoding = HTTPField.Name("X-Original-Transfer-Encoding")!

    /// Why a request with a body cannot be authenticated here.
    static let bodyNotSeen =
        "nginx's auth_request sends no body, so only requests with an empty body can be authenticated at the auth_request endpoint; send requests with a body through the gate itself (mauth gate --upstream)"

    func answer(_ request: Request, context: RequestContext) async -> Response {
        let headers = request.head.headerFields
        guard let method = headers[Self.originalMethod], !method.isEmpty,
            let target = headers[Self.originalURI], target.hasPrefix("/")
        else {
            return HTTPError(
                .badRequest,
                message:
                    "An auth_request subrequest names the original request in X-Original-Method and X-Original-URI."
            ).response
        }
        var exchange = ProxyExchange(method: method, target: target, logger: logger)
        let path = target.prefix { $0 != "?" }
        if let refusal = ForwardedTarget.refusal(ofPath: path) {
            // nginx passes on 401 and 403 and turns any other status into 500.
            return exchange.finish(HTTPError(.forbidden, message: refusal).response)
        }
        if gate.isExempt(rawPath: path) || gate.passesUnsigned(headers) {
            return exchange.finish(Response(status: .noContent))
        }
        let declaredLength = headers[Self.originalContentLength]
        let transferEncoding = headers[Self.originalTransferEncoding]
        if declaredLength.map({ $0 != "0" }) ?? false || transferEncoding.map({ !$0.isEmpty }) ?? false {
            return exchange.finish(
                MAuthRejection(MAuthError(.inauthentic, Self.bodyNotSeen + "."), messages: gate.errorMessages)
                    .response)
        }
        var signed = headers
        for name in [Self.originalMethod, Self.originalURI, Self.originalContentLength, Self.originalTransferEncoding] {
            signed[name] = nil
        }
        switch await gate.authenticateKeepingError(
            method: method, target: MAuthRequestTarget(target), headers: signed, body: [UInt8](),
            logger: context.logger)
        {
        case .success(let identity):
            exchange.appUUID = identity.appUUID
            return exchange.finish(Response(status: .noContent, headerFields: identityHeaders.fields(for: identity)))
        case .failure(var error):
            let isSigned = [MAuthProtocolVersion.v2, .v1].contains { signed[$0.authenticationHeader] != nil }
            if error.code == .inauthentic, isSigned {
                error = MAuthError(.inauthentic, "\(error.message) (if the request has a body: \(Self.bodyNotSeen))")
            }
            return exchange.finish(MAuthRejection(error, messages: gate.errorMessages).response)
        }
    }
}
