import NIOCore
import NIOHTTP1

/// The rules of one HTTP/1.1 connection, as a state machine: how far reading runs ahead of the
/// responses, when a request head is overdue, which requests may be kept alive, how a response to
/// HTTP/1.0 is framed, when the connection closes, and how a request that cannot be parsed is
/// answered.
///
/// Every event (bytes handed to the parser, a request part or parse error from it, a response
/// part written, a read asked for, a request to close, a tick of the clock) is a `mutating`
/// transition that returns what the channel handlers must do; the machine itself does no I/O and
/// reads no clock, so unit tests drive it directly. ``HTTP1ConnectionHandler`` and its
/// ``HTTP1ParserGate`` feed it from the channel.
///
/// - Read-ahead: a client may pipeline requests and never read the answers. Each parsed request
///   waits in memory for its turn, so the parser is handed nothing more while
///   ``HTTPServerConfiguration/maxPipelinedRequests`` requests wait for their responses; the
///   request being read does not count, so that its body gets through. After a request that stops
///   the parser (CONNECT, `Upgrade`) the parser is handed nothing more at all.
/// - Head deadline: the connection's first head runs from the moment the connection was accepted
///   (its TLS handshake included); a later one from when its first bytes reach the parser. Its
///   parsing must end within ``HTTPServerConfiguration/requestHeadTimeout``. This is the only
///   place the server keeps that deadline once the connection speaks HTTP/1.1.
/// - Pipelining: requests are handed on one at a time; one that arrives before the previous
///   response has ended waits, and the connection reads nothing more until it is handed on. A
///   parse error that breaks a request after those already read waits its turn the same way.
/// - Keep-alive: HTTP/1.1 stays open unless a request or its response says `Connection: close`;
///   HTTP/1.0 closes unless the request says `keep-alive`. A request that stops the parser is the
///   connection's last.
/// - HTTP/1.0 cannot read chunked encoding: a response to it without `Content-Length` goes out as
///   HTTP/1.0 and ends with the close.
/// - Closing waits for the response in progress to end and for the request being read to end; the
///   serving task bounds how long the latter may take.
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

    /// What came from the parser and waits for the responses before it.
    enum Held: Equatable {
        case part(HTTPServerRequestPart)
        case parseError(headTooLarge: Bool)
    }

    /// Where the parser is, which runs ahead of the requests handed on.
    enum Parsing: Equatable {
        /// Between requests; `headSince` is when bytes of the next head first reached the parser.
        case betweenRequests(headSince: ContinuousClock.Instant?)
        /// A request head has been parsed and its end has not; `stopsParser` when the parser takes
        /// nothing after it.
        case inRequest(stopsParser: Bool)
        /// The parser has stopped after a request that switches protocols: whatever else arrives
        /// is held, unread, until the close.
        case stopped
    }

    /// The request handed on whose end has not been handed on yet.
    enum Reading: Equatable {
        /// None: the next part from the parser is a request head.
        case none
        /// A request handed on; `answered` once a response to it has ended.
        case request(answered: Bool)
        /// A request that arrived after the connection's last response was decided: its parts are
        /// dropped.
        case dropped
    }

    /// What an open connection keeps track of.
    struct Connection: Equatable {
        var parsing = Parsing.betweenRequests(headSince: nil)
        /// Requests parsed, handed on or not, whose response has not ended.
        var parsedUnanswered = 0
        /// Parts and parse errors waiting for the responses before them, in order.
        var held = CircularBuffer<Held>(initialCapacity: 0)
        /// A read was asked for while something was held; it is passed on once nothing is.
        var readPending = false
        var reading = Reading.none
        /// Requests handed on whose final response head has not been written, oldest first.
        var unanswered = CircularBuffer<RequestFacts>(initialCapacity: 4)
        /// A final response head has been written and its end has not.
        var responseInProgress = false

        /// Whether a response is owed to a request handed on.
        var owesResponse: Bool { responseInProgress || !unanswered.isEmpty }
    }

    enum State: Equatable {
        /// Serving requests.
        case serving(Connection)
        /// The next response, or the one being written, is the connection's last; the connection
        /// closes once it and its request have ended. Requests that arrive meanwhile are dropped.
        case closing(Connection, lastResponseEnded: Bool)
        /// Closed, or closing after an error answer: nothing else is read or written.
        case closed
    }

    /// What to do with a request part, or a parse error, from the parser.
    enum ReadAction: Equatable {
        /// Hand on this part: the one read, or the same request without what its version cannot
        /// take.
        case forward(HTTPServerRequestPart)
        /// Keep it for later: it waits for the responses before it (``nextHeld()`` returns it).
        case hold
        /// Drop it: it belongs to a request that arrived after the connection's last response was
        /// decided, or the connection has answered an error.
        case drop
        /// Answer with `status` and `message` instead, then close.
        case answerAndClose(HTTPResponseStatus, String)
        /// Hand on this part, then close: the connection's last response has been sent and this
        /// ends its request.
        case forwardThenClose(HTTPServerRequestPart)
        /// Drop it, then close: it ends a request that came after the last response.
        case dropThenClose
        /// Close once the last response has been written: an answer would corrupt or follow it.
        case close
    }

    /// What to do with a response part the application writes.
    enum WriteAction: Equatable {
        /// Write it as it is.
        case write
        /// Write this head instead: the same response, framed for its connection.
        case writeHead(HTTPResponseHead)
        /// Write it, and close once the connection's last response has been sent: its request has
        /// ended.
        case writeLastThenClose
        /// Write it; it ends the connection's last response, whose request is still being read,
        /// so the close waits for that too.
        case writeLast
        /// Drop it and fail its promise: the connection has answered an error and is closing.
        case drop
    }

    /// What to do when the connection is asked to close.
    enum CloseAction: Equatable {
        /// Close now: nothing is in flight.
        case close
        /// Close after the connection's last response and its request have ended.
        case closeWhenIdle
        /// Nothing more to do: the connection is already closing.
        case none
    }

    /// The states an event may leave the connection in, for ``modify(ifClosed:_:)``.
    private enum Next {
        case serving
        case closing(lastResponseEnded: Bool)
        case closed
    }

    private(set) var state: State
    /// The most requests that may wait for their responses before the parser is handed more.
    private let maxWaiting: Int
    /// How long the parsing of a request head may take from its first bytes.
    private let headTimeout: Duration

    /// A connection accepted at `openedAt`, which reads up to `maxWaiting` requests ahead of their
    /// responses and closes when a head takes longer than `headTimeout`; its first head is due
    /// `headTimeout` after `openedAt`.
    init(maxWaiting: Int, headTimeout: Duration, openedAt: ContinuousClock.Instant) {
        self.maxWaiting = max(1, maxWaiting)
        self.headTimeout = headTimeout
        state = .serving(Connection(parsing: .betweenRequests(headSince: openedAt)))
    }

    /// Whether the parser may be handed more bytes. Once the connection is closed they may: what
    /// arrives is dropped, and bytes left unread would turn the close into a reset.
    var parserMayRead: Bool {
        let connection: Connection
        switch state {
        case .serving(let open), .closing(let open, _): connection = open
        case .closed: return true
        }
        let reading: Int
        switch connection.parsing {
        case .stopped: return false
        case .inRequest: reading = 1
        case .betweenRequests: reading = 0
        }
        return connection.parsedUnanswered - reading < maxWaiting
    }

    /// Whether the connection's last response has been decided.
    var isClosing: Bool {
        if case .closing = state { return true }
        return false
    }

    /// Bytes are about to reach the parser at `now`: if no request is open, they start a head.
    mutating func bytesReachParser(now: ContinuousClock.Instant) {
        modify(ifClosed: ()) { connection, _ in
            if case .betweenRequests(headSince: nil) = connection.parsing {
                connection.parsing = .betweenRequests(headSince: now)
            }
        }
    }

    /// Whether, at `now`, a head has taken too long: the connection must close.
    func headOverdue(now: ContinuousClock.Instant) -> Bool {
        switch state {
        case .serving(let connection), .closing(let connection, _):
            guard case .betweenRequests(headSince: let since?) = connection.parsing else { return false }
            return since.duration(to: now) > headTimeout
        case .closed:
            return false
        }
    }

    /// The parser read a request part.
    mutating func parsed(_ part: HTTPServerRequestPart) -> ReadAction {
        let holds: Bool = modify(ifClosed: false) { connection, next in
            switch part {
            case .head(let head):
                connection.parsedUnanswered += 1
                connection.parsing = .inRequest(stopsParser: head.stopsHTTP1Parser)
            case .end:
                if case .inRequest(stopsParser: true) = connection.parsing {
                    connection.parsing = .stopped
                } else {
                    connection.parsing = .betweenRequests(headSince: nil)
                }
            case .body:
                break
            }
            guard !connection.held.isEmpty || (part.isHead && Self.holdsNextRequest(connection, next)) else {
                return false
            }
            connection.held.append(.part(part))
            return true
        }
        return holds ? .hold : handOn(part)
    }

    /// The parser rejected what the client sent.
    mutating func parseFailed(headTooLarge: Bool) -> ReadAction {
        let holds: Bool = modify(ifClosed: false) { connection, next in
            guard !connection.held.isEmpty || Self.holdsParseError(connection, next) else { return false }
            connection.held.append(.parseError(headTooLarge: headTooLarge))
            return true
        }
        return holds ? .hold : answerParseError(headTooLarge: headTooLarge)
    }

    /// What was held and may go now, one at a time: `nil` once nothing is held or what is must
    /// still wait.
    mutating func nextHeld() -> ReadAction? {
        let first: Held? = modify(ifClosed: nil) { connection, next in
            switch connection.held.first {
            case .part(let part)?:
                guard !(part.isHead && Self.holdsNextRequest(connection, next)) else { return nil }
            case .parseError?:
                guard !Self.holdsParseError(connection, next) else { return nil }
            case nil:
                return nil
            }
            return connection.held.removeFirst()
        }
        switch first {
        case .part(let part)?: return handOn(part)
        case .parseError(let headTooLarge)?: return answerParseError(headTooLarge: headTooLarge)
        case nil: return nil
        }
    }

    /// The connection is asked to read: returns whether the read goes on now. One that cannot,
    /// because something is held, is remembered for ``pendingRead()``.
    mutating func read() -> Bool {
        modify(ifClosed: true) { connection, _ in
            guard !connection.held.isEmpty else { return true }
            connection.readPending = true
            return false
        }
    }

    /// Whether a read held back may go on now that nothing is held; it is then forgotten. Once the
    /// connection is closed, whatever was held is dropped and reads go on.
    mutating func pendingRead() -> Bool {
        modify(ifClosed: true) { connection, _ in
            guard connection.held.isEmpty, connection.readPending else { return false }
            connection.readPending = false
            return true
        }
    }

    /// Applies the rules to a part the parser read and nothing holds back.
    private mutating func handOn(_ part: HTTPServerRequestPart) -> ReadAction {
        switch part {
        case .head(let head): return receivedHead(head)
        case .body: return receivedBody(part)
        case .end: return receivedEnd(part)
        }
    }

    private mutating func receivedHead(_ head: HTTPRequestHead) -> ReadAction {
        modify(ifClosed: .drop) { connection, next in
            if case .closing = next {
                connection.reading = .dropped
                return .drop
            }
            let hosts = head.headers["host"].count
            if hosts > 1 || (hosts == 0 && (head.version.major, head.version.minor) >= (1, 1)) {
                next = .closed
                return .answerAndClose(.badRequest, "The request must have exactly one Host header.")
            }
            connection.reading = .request(answered: false)
            let isHTTP10 = head.version.major == 1 && head.version.minor == 0
            connection.unanswered.append(
                RequestFacts(
                    keepAlive: head.isKeepAlive && !head.stopsHTTP1Parser, isHTTP10: isHTTP10,
                    isHEAD: head.method == .HEAD))
            guard isHTTP10, head.headers.contains(name: "expect") else { return .forward(.head(head)) }
            // An HTTP/1.0 client cannot read an interim response: its expectation is ignored.
            var withoutExpectation = head
            withoutExpectation.headers.remove(name: "expect")
            return .forward(.head(withoutExpectation))
        }
    }

    private mutating func receivedBody(_ part: HTTPServerRequestPart) -> ReadAction {
        modify(ifClosed: .drop) { connection, _ in
            connection.reading == .dropped ? .drop : .forward(part)
        }
    }

    private mutating func receivedEnd(_ part: HTTPServerRequestPart) -> ReadAction {
        modify(ifClosed: .drop) { connection, next in
            let dropped = connection.reading == .dropped
            connection.reading = .none
            if case .closing(lastResponseEnded: true) = next {
                return dropped ? .dropThenClose : .forwardThenClose(part)
            }
            return dropped ? .drop : .forward(part)
        }
    }

    private mutating func answerParseError(headTooLarge: Bool) -> ReadAction {
        modify(ifClosed: .drop) { connection, next in
            var answerable = !connection.responseInProgress && connection.reading != .request(answered: true)
            if case .serving = next {} else { answerable = false }
            next = .closed
            // An answer now would interleave with the response being written, answer a request
            // twice, or follow the connection's last response: the close says enough.
            guard answerable else { return .close }
            if headTooLarge {
                return .answerAndClose(.requestHeaderFieldsTooLarge, "The request head is too large.")
            }
            return .answerAndClose(.badRequest, "The request could not be parsed.")
        }
    }

    /// The application writes a response head.
    mutating func writingHead(_ head: HTTPResponseHead) -> WriteAction {
        modify(ifClosed: .drop) { connection, next in
            // Informational responses (100 Continue) precede the final one and change nothing.
            guard head.status.code >= 200 else { return .write }
            connection.responseInProgress = true
            let facts = connection.unanswered.popFirst() ?? RequestFacts(keepAlive: false, isHTTP10: false)
            let hasLength = head.headers.contains(name: "content-length")
            let hasBody = !facts.isHEAD && head.status != .noContent && head.status != .notModified
            var closes = !facts.keepAlive || !head.isKeepAlive || (facts.isHTTP10 && hasBody && !hasLength)
            if case .closing = next { closes = true }
            if closes { next = .closing(lastResponseEnded: false) }
            if facts.isHTTP10 {
                // An HTTP/1.0 client reads a response without a length to the close, and keeps
                // the connection only when told to.
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
    }

    /// The application writes a part of a response body.
    func writingBody() -> WriteAction {
        state == .closed ? .drop : .write
    }

    /// The application writes a response's end. When it is not dropped, the parser may have room
    /// again (``parserMayRead``) and something held may go (``nextHeld()``).
    mutating func writingEnd() -> WriteAction {
        modify(ifClosed: .drop) { connection, next in
            connection.parsedUnanswered = max(0, connection.parsedUnanswered - 1)
            guard connection.responseInProgress else {
                if case .closing = next { return .writeLast }
                return .write
            }
            connection.responseInProgress = false
            if case .request = connection.reading { connection.reading = .request(answered: true) }
            guard case .closing = next else { return .write }
            next = .closing(lastResponseEnded: true)
            // A request still being read is waited for, unless it came after this last response.
            if case .request = connection.reading { return .writeLast }
            return .writeLastThenClose
        }
    }

    /// The server asks the connection to close gracefully (a graceful shutdown):
    /// the requests already handed on are answered, the next response is the last.
    mutating func quiesce() -> CloseAction {
        modify(ifClosed: .none) { connection, next in
            guard case .serving = next else { return .none }
            if connection.reading == .none, !connection.owesResponse {
                next = .closed
                return .close
            }
            // A request answered early and still being read has had its last response: its end
            // closes.
            next = .closing(lastResponseEnded: !connection.owesResponse)
            return .closeWhenIdle
        }
    }

    /// The channel closed.
    mutating func closed() {
        state = .closed
    }

    /// Whether a request head must wait before it is handed on: the application serves one
    /// request at a time, so a pipelined request waits for the previous response's end, and the
    /// connection reads nothing more meanwhile.
    private static func holdsNextRequest(_ connection: Connection, _ next: Next) -> Bool {
        guard case .serving = next else { return false }
        return connection.owesResponse
    }

    /// Whether a parse error must wait: when it breaks a request after those already read, the
    /// answer to it goes after the responses owed to them. (One that breaks the request being
    /// read is that request's answer.)
    private static func holdsParseError(_ connection: Connection, _ next: Next) -> Bool {
        guard case .serving = next else { return false }
        return connection.reading == .none && connection.owesResponse
    }

    /// Runs `transition` on the open connection, which may choose the next state; returns
    /// `ifClosed` when the connection is closed. The state lets go of the connection meanwhile,
    /// so that its buffers change in place rather than being copied.
    private mutating func modify<Result>(
        ifClosed: Result, _ transition: (inout Connection, inout Next) -> Result
    ) -> Result {
        var connection: Connection
        var next: Next
        switch state {
        case .serving(let open):
            connection = open
            next = .serving
        case .closing(let open, let lastResponseEnded):
            connection = open
            next = .closing(lastResponseEnded: lastResponseEnded)
        case .closed:
            return ifClosed
        }
        state = .closed
        let result = transition(&connection, &next)
        switch next {
        case .serving: state = .serving(connection)
        case .closing(let lastResponseEnded): state = .closing(connection, lastResponseEnded: lastResponseEnded)
        case .closed: break
        }
        return result
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

extension HTTPServerRequestPart {
    fileprivate var isHead: Bool {
        if case .head = self { return true }
        return false
    }
}
