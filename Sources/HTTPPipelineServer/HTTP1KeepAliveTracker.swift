import NIOCore
import NIOHTTP1
import Synchronization

/// Records what each HTTP/1 request's version means for its response — lost once the head
/// becomes an `HTTPRequest` — and frames HTTP/1.0 responses the way an HTTP/1.0 client reads them.
///
/// HTTP/1.0 closes unless the client says `keep-alive`, HTTP/1.1 stays open unless it says
/// `close`; after a request that asks to switch protocols (CONNECT, or `Upgrade`) it always
/// closes, since the parser takes no further request from that connection. An HTTP/1.0 client cannot read chunked encoding, so a response to it that has no
/// `Content-Length` goes out as HTTP/1.0, delimited by closing the connection.
final class HTTP1KeepAliveTracker: ChannelDuplexHandler, RemovableChannelHandler, Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    /// What the responder needs to know of a request's HTTP/1 version.
    struct RequestTraits: Equatable {
        /// The client asked, by its version's rules, to keep the connection open.
        var wantsKeepAlive: Bool
        /// The request was HTTP/1.0.
        var isHTTP10: Bool
    }

    /// Requests in order, for the responder task, which takes them one at a time.
    private let notYetServed = Mutex<[RequestTraits]>([])
    /// Requests in order whose response head has not been written; used on the event loop only.
    private let notYetAnswered = Mutex<[Bool]>([])

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head(let head) = unwrapInboundIn(data) {
            let isHTTP10 = head.version.major == 1 && head.version.minor == 0
            notYetServed.withLock {
                $0.append(
                    RequestTraits(wantsKeepAlive: head.isKeepAlive && !head.stopsHTTP1Parser, isHTTP10: isHTTP10))
            }
            notYetAnswered.withLock { $0.append(isHTTP10) }
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard case .head(var head) = unwrapOutboundIn(data), head.status.code >= 200 else {
            context.write(data, promise: promise)
            return
        }
        let answersHTTP10 = notYetAnswered.withLock { $0.isEmpty ? false : $0.removeFirst() }
        if answersHTTP10, !head.headers.contains(name: "content-length") {
            head.version = .http1_0
            context.write(wrapOutboundOut(.head(head)), promise: promise)
        } else {
            context.write(data, promise: promise)
        }
    }

    /// The oldest request not yet served.
    func nextRequest() -> RequestTraits {
        notYetServed.withLock { $0.isEmpty ? RequestTraits(wantsKeepAlive: false, isHTTP10: false) : $0.removeFirst() }
    }
}

extension HTTPRequestHead {
    /// Whether NIO's HTTP/1 parser stops after this request, taking what follows for another
    /// protocol: a CONNECT, or a request with `Upgrade` that `Connection` names (llhttp's rule).
    var stopsHTTP1Parser: Bool {
        if method == .CONNECT { return true }
        guard headers.contains(name: "upgrade") else { return false }
        return headers[canonicalForm: "connection"].contains { $0.lowercased() == "upgrade" }
    }
}
