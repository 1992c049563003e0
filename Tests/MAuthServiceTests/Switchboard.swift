import Foundation
import HTTPPipeline
import HTTPTypes
import Locking
import NIOCore

/// A middleware in front of the development service that counts requests and can delay, fail or
/// garble the answers, so tests can watch how clients cache and cope.
final class Switchboard: Middleware {
    enum Fault: Sendable {
        case status(HTTPResponse.Status)
        case invalidJSON
        case garbledKey
        case noCacheControl
        /// The service's answer with this `Cache-Control` value instead of its own.
        case cacheControl(String)
        /// A 200 head and the first bytes of a body, then two seconds of silence.
        case stalledBody
        /// The service's answer about this other app, whichever app was asked for.
        case keyOfApp(String)
        /// A 200 answer of 100 KB.
        case oversizedAnswer
    }

    private struct State {
        var securityTokenRequests = 0
        var ticketRequests = 0
        var delay: Duration = .zero
        var fault: Fault?
        var remainingFaults = 0
    }

    private let state = Locked(State())

    var securityTokenRequests: Int { state.withLock { $0.securityTokenRequests } }
    var ticketRequests: Int { state.withLock { $0.ticketRequests } }

    func delay(_ delay: Duration) {
        state.withLock { $0.delay = delay }
    }

    /// Applies `fault` to the next `count` requests; `nil` stops injecting.
    func inject(_ fault: Fault?, count: Int = .max) {
        state.withLock {
            $0.fault = fault
            $0.remainingFaults = count
        }
    }

    func handle(_ request: Request, context: RequestContext, next: any Handler) async throws -> Response {
        let (delay, fault) = state.withLock { state -> (Duration, Fault?) in
            if request.path.contains("/security_tokens/") { state.securityTokenRequests += 1 }
            if request.path.hasSuffix("/authentication_tickets.json") { state.ticketRequests += 1 }
            guard let fault = state.fault, state.remainingFaults > 0 else { return (state.delay, nil) }
            state.remainingFaults -= 1
            return (state.delay, fault)
        }
        if delay > .zero { try await Task.sleep(for: delay) }
        switch fault {
        case .none:
            return try await next.handle(request, context: context)
        case .status(let status):
            return .json(#"{"errors":{"mauth":["injected failure"]}}"#, status: status)
        case .invalidJSON:
            return .json("{not json", status: .ok)
        case .garbledKey:
            return .json(
                #"{"security_token":{"public_key_str":"-----BEGIN PUBLIC KEY-----\ngarbage\n-----END PUBLIC KEY-----\n"}}"#
            )
        case .noCacheControl:
            var response = try await next.handle(request, context: context)
            response.head.headerFields[.cacheControl] = nil
            return response
        case .cacheControl(let value):
            var response = try await next.handle(request, context: context)
            response.head.headerFields[.cacheControl] = value
            return response
        case .keyOfApp(let otherApp):
            var redirected = request
            redirected.head.path = request.path.replacingOccurrences(
                of: #"/security_tokens/[^/]*\.json"#, with: "/security_tokens/\(otherApp).json",
                options: .regularExpression)
            return try await next.handle(redirected, context: context)
        case .oversizedAnswer:
            return .json(#"{"security_token":{"public_key_str":""# + String(repeating: "A", count: 100_000) + #""}}"#)
        case .stalledBody:
            return Response(
                status: .ok,
                body: ResponseBody { writer in
                    try await writer.write(ByteBuffer(string: #"{"security_token":"#))
                    try await Task.sleep(for: .seconds(2))
                    try await writer.write(ByteBuffer(string: "null}"))
                }
            )
        }
    }
}
