import NIOCore
import NIOHTTP1

/// The rules of one HTTP/1.1 connection, as a state machine: which requests may be kept alive,
/// how a response to HTTP/1.0 is framed, when the connection closes, and how a request that
/// cannot be parsed is answered.
///
/// Every event (a request part read, a response part written, a parse error, a request to close)
/// is a `mutating` transition that returns what the channel handler must do; the machine itself
/// does no I/O, so `EmbeddedChannel`-free unit tests drive it directly. ``HTTP1ConnectionHandler``
/// feeds it from the channel.
///
/// - Pipelining: requests are handed on one at a time; one that arrives before the previous
///   response has ended waits, and the connection reads nothing more until it is handed on.
/// - Keep-alive: HTTP/1.1 stays open unless a request or its response says `Connection: close`;
///   HTTP/1.0 closes unless the request says `keep-alive`. A request that stops the parser
///   (CONNECT, or `Upgrade`) is the connection's last.
/// - HTTP/1.0 cannot read chunked encoding: a response to it without `Content-Length` goes out as
///   HTTP/1.0 and ends with the close.
/// - Closing waits for the response in progress to end and for the request being read to end; the
///   handler bounds how long the latter may take by other means.
/// - A request head with no `Host` (HTTP/1.1) or with two, and a request the parser rejects, are
///   answered 400 (431 for a head too large) and the connection closes — unless a response is
///   already being written, which the answer would corrupt: then it just closes.
struct HTTP1ConnectionStateMachine {
    /// What a request's HTTP/1 head says about its connection, kept until its response is written.
    struct RequestFacts: Equatable {
        /// The client asked, by its version's rules, to keep the connection open, and the
        /// request leaves the parser able to read another.
        var keepAlive: Bool
        /// The request was HTTP/1.0.
        var isHTTP10: Bool
        /// The request was HEAD: its response has no body, whatever its length says.
        var isHEAD = false
    }

    /// What to do with a request part read from the connection.
    enum ReadAction: Equatable {
        /// Hand it on to the application.
        case forward
        /// Hand on this head instead: the same request, without what its version cannot take.
        case forwardHead(HTTPRequestHead)
        /// Drop it: it belongs to a request that arrived after the connection's last response was
        /// decided, or the connection has answered an error.
        case drop
        /// Answer with `status` and `message` instead, then close.
        case answerAndClose(HTTPResponseStatus, String)
        /// Hand it on, then close: the connection's last response has been sent and this ends its
        /// request.
        case forwardThenClose
        /// Drop it, then close: it ends a request that came after the last response.
        case dropThenClose
    }

    /// What to do with a response part the application writes.
    enum WriteAction: Equatable {
        /// Write it as it is.
        case write
        /// Write this head instead: the same response, framed for its connection.
        case writeHead(HTTPResponseHead)
        /// Write it, then close once it has been sent: the end of the connection's last response,
        /// whose request has ended.
        case writeThenClose
        /// Drop it and fail its promise: the connection has answered an error and is closing.
        case drop
    }

    /// What to do when the connection is asked to close, or the parser fails.
    enum CloseAction: Equatable {
        /// Close now: nothing is in flight.
        case close
        /// Close after the connection's last response and its request have ended.
        case closeWhenIdle
        /// Answer with `status` and `message`, then close.
        case answerAndClose(HTTPResponseStatus, String)
        /// Nothing more to do: the connection is already closing.
        case none
    }

    enum State: Equatable {
        /// Serving requests.
        case serving
        /// The next response, or the one being written, is the connection's last; the connection
        /// closes once it and its request have ended. Requests that arrive meanwhile are dropped.
        case closing(lastResponseEnded: Bool)
        /// Closed, or closing after an error answer: nothing else is read or written.
        case closed
    }

    private(set) var state = State.serving
    /// Requests handed on whose final response head has not been written, oldest first.
    private var unanswered = CircularBuffer<RequestFacts>(initialCapacity: 4)
    /// A request head has been read and its end has not.
    private(set) var requestOpen = false
    /// The request being read arrived after the last response was decided: its parts are dropped.
    private var discardingRequest = false
    /// A final response head has been written and its end has not.
    private(set) var responseInProgress = false
    /// A response has answered the request still being read.
    private var answeredOpenRequest = false
    /// Requests handed on whose response has not ended: the next request waits while there is one.
    private var responsesOwed = 0

    /// Whether a request head that arrives now must wait before it is handed on: the application
    /// serves one request at a time, so a pipelined request waits for the previous response's end,
    /// and the connection reads nothing more meanwhile.
    var holdsNextRequest: Bool {
        state == .serving && responsesOwed > 0
    }

    /// Whether the connection's last response has been decided.
    var isClosing: Bool {
        if case .closing = state { return true }
        return false
    }

    /// Whether a parse error that arrives now must wait: when it breaks a request after those
    /// already read, the answer to it goes after the responses owed to them. (One that breaks the
    /// request being read is that request's answer.)
    var holdsParseError: Bool {
        state == .serving && !requestOpen && (responsesOwed > 0 || responseInProgress)
    }

    /// A request head arrived.
    mutating func receivedHead(_ head: HTTPRequestHead) -> ReadAction {
        switch state {
        case .closed:
            return .drop
        case .closing:
            requestOpen = true
            discardingRequest = true
            return .drop
        case .serving:
            let hosts = head.headers["host"].count
            if hosts > 1 || (hosts == 0 && (head.version.major, head.version.minor) >= (1, 1)) {
                state = .closed
                return .answerAndClose(.badRequest, "The request must have exactly one Host header.")
            }
            requestOpen = true
            answeredOpenRequest = false
            let isHTTP10 = head.version.major == 1 && head.version.minor == 0
            responsesOwed += 1
            unanswered.append(
                RequestFacts(
                    keepAlive: head.isKeepAlive && !head.stopsHTTP1Parser, isHTTP10: isHTTP10,
                    isHEAD: head.method == .HEAD))
            guard isHTTP10, head.headers.contains(name: "expect") else { return .forward }
            // An HTTP/1.0 client cannot read an interim response: its expectation is ignored.
            var withoutExpectation = head
            withoutExpectation.headers.remove(name: "expect")
            return .forwardHead(withoutExpectation)
        }
    }

    /// A part of a request body arrived.
    func receivedBody() -> ReadAction {
        state == .closed || discardingRequest ? .drop : .forward
    }

    /// A request's end arrived.
    mutating func receivedEnd() -> ReadAction {
        guard state != .closed else { return .drop }
        let discarded = discardingRequest
        requestOpen = false
        discardingRequest = false
        answeredOpenRequest = false
        if case .closing(lastResponseEnded: true) = state { return discarded ? .dropThenClose : .forwardThenClose }
        return discarded ? .drop : .forward
    }

    /// The application writes a response head.
    mutating func writingHead(_ head: HTTPResponseHead) -> WriteAction {
        guard state != .closed else { return .drop }
        // Informational responses (100 Continue) precede the final one and change nothing.
        guard head.status.code >= 200 else { return .write }
        responseInProgress = true
        let facts = unanswered.popFirst() ?? RequestFacts(keepAlive: false, isHTTP10: false)
        let hasLength = head.headers.contains(name: "content-length")
        let hasBody = !facts.isHEAD && head.status != .noContent && head.status != .notModified
        let closes =
            state != .serving || !facts.keepAlive || !head.isKeepAlive || (facts.isHTTP10 && hasBody && !hasLength)
        if closes { state = .closing(lastResponseEnded: false) }
        if facts.isHTTP10 {
            // An HTTP/1.0 client reads a response without a length to the close, and keeps the
            // connection only when told to.
            var framed = head
            if !hasLength { framed.version = .http1_0 }
            framed.headers.replaceOrAdd(name: "connection", value: closes ? "close" : "keep-alive")
            return .writeHead(framed)
        }
        if closes, !head.headers[canonicalForm: "connection"].contains(where: { $0.lowercased() == "close" }) {
            var framed = head
            framed.headers.replaceOrAdd(name: "connection", value: "close")
            return .writeHead(framed)
        }
        return .write
    }

    /// The application writes a part of a response body.
    func writingBody() -> WriteAction {
        state == .closed ? .drop : .write
    }

    /// The application writes a response's end.
    mutating func writingEnd() -> WriteAction {
        guard state != .closed else { return .drop }
        guard responseInProgress else { return .write }
        responseInProgress = false
        responsesOwed = max(0, responsesOwed - 1)
        if requestOpen { answeredOpenRequest = true }
        guard case .closing = state else { return .write }
        state = .closing(lastResponseEnded: true)
        // A request still being read is waited for, unless it came after this last response.
        return requestOpen && !discardingRequest ? .write : .writeThenClose
    }

    /// The server asks the connection to close gracefully (shutdown, or the application's choice):
    /// the requests already handed on are answered, the next response is the last.
    mutating func quiesce() -> CloseAction {
        guard state == .serving else { return .none }
        if !requestOpen, !responseInProgress, unanswered.isEmpty {
            state = .closed
            return .close
        }
        // A request answered early and still being read has had its last response: its end closes.
        let answered = !responseInProgress && responsesOwed == 0
        state = .closing(lastResponseEnded: answered)
        return .closeWhenIdle
    }

    /// The parser rejected what the client sent.
    mutating func parseFailed(headTooLarge: Bool) -> CloseAction {
        guard state != .closed else { return .none }
        let answerable = state == .serving && !responseInProgress && !answeredOpenRequest
        state = .closed
        guard answerable else {
            // An answer now would interleave with the response being written, answer a request
            // twice, or follow the connection's last response: the close says enough.
            return .close
        }
        if headTooLarge {
            return .answerAndClose(.requestHeaderFieldsTooLarge, "The request head is too large.")
        }
        return .answerAndClose(.badRequest, "The request could not be parsed.")
    }

    /// The channel closed.
    mutating func closed() {
        state = .closed
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
