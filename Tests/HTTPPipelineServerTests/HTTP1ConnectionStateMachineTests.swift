import NIOCore
import NIOHTTP1
import Testing

@testable import HTTPPipelineServer

/// `HTTP1ConnectionStateMachine` driven directly, transition by transition, without a channel:
/// each event's action is what a channel handler would perform.
@Suite("HTTP/1.1 connection state machine")
struct HTTP1ConnectionStateMachineTests {
    private typealias Machine = HTTP1ConnectionStateMachine

    /// When the connections of these tests were accepted.
    private static let opened = ContinuousClock.now

    private static func machine(maxWaiting: Int = 16) -> Machine {
        Machine(maxWaiting: maxWaiting, headTimeout: .milliseconds(100), openedAt: opened)
    }

    private static func request(
        _ method: HTTPMethod = .GET, version: HTTPVersion = .http1_1, headers: HTTPHeaders = ["Host": "x"]
    ) -> HTTPRequestHead {
        HTTPRequestHead(version: version, method: method, uri: "/", headers: headers)
    }

    private static func response(
        _ status: HTTPResponseStatus = .ok, headers: HTTPHeaders = ["Content-Length": "0"]
    ) -> HTTPResponseHead {
        HTTPResponseHead(version: .http1_1, status: status, headers: headers)
    }

    /// `head` as the machine frames it when it adds `Connection: value`.
    private static func framed(
        _ head: HTTPResponseHead, connection value: String, version: HTTPVersion = .http1_1
    ) -> HTTPResponseHead {
        var framed = head
        framed.version = version
        framed.headers.replaceOrAdd(name: "connection", value: value)
        return framed
    }

    @Test("HTTP/1.1 stays open from request to request")
    func keepAlive() {
        var machine = Self.machine()
        for _ in 0..<2 {
            #expect(machine.handsOn(Self.request()) == true)
            #expect(machine.receivedEnd() == .forward(.end(nil)))
            #expect(machine.writingHead(Self.response()) == .write)
            #expect(machine.writingBody() == .write)
            #expect(machine.writingEnd() == .write)
            #expect(machine.isServing)
        }
    }

    @Test("a pipelined request waits until the response before it has ended, then goes on with its parts")
    func holding() {
        var machine = Self.machine()
        let first = Self.request(.POST)
        let second = Self.request()
        #expect(machine.handsOn(first) == true)
        #expect(machine.receivedBody() == .forward(.body(Machine.body)))
        #expect(machine.receivedEnd() == .forward(.end(nil)))
        #expect(machine.receivedHead(second) == .hold)
        #expect(machine.receivedEnd() == .hold)
        #expect(machine.nextHeld() == nil)
        #expect(machine.writingHead(Self.response()) == .write)
        #expect(machine.nextHeld() == nil)
        #expect(machine.writingEnd() == .write)
        #expect(machine.nextHeld() == .forward(.head(second)))
        #expect(machine.nextHeld() == .forward(.end(nil)))
        #expect(machine.nextHeld() == nil)
    }

    @Test("a read asked for while something is held waits until nothing is")
    func readPending() {
        var machine = Self.machine()
        #expect(machine.read() == true)
        #expect(machine.pendingRead() == false)
        #expect(machine.handsOn(Self.request()) == true)
        #expect(machine.receivedEnd() == .forward(.end(nil)))
        #expect(machine.receivedHead(Self.request()) == .hold)
        #expect(machine.read() == false)
        #expect(machine.pendingRead() == false)
        _ = machine.writingHead(Self.response())
        _ = machine.writingEnd()
        #expect(machine.nextHeld() == .forward(.head(Self.request())))
        #expect(machine.pendingRead() == true)
        #expect(machine.pendingRead() == false)
        #expect(machine.read() == true)
    }

    @Test("a parse error after a request owed its response waits for that response; within a request it does not")
    func parseErrorHeld() {
        var machine = Self.machine()
        #expect(machine.handsOn(Self.request(.POST)) == true)
        #expect(machine.receivedEnd() == .forward(.end(nil)))
        #expect(machine.parseFailed(headTooLarge: true) == .hold)
        _ = machine.writingHead(Self.response())
        #expect(machine.nextHeld() == nil)
        _ = machine.writingEnd()
        #expect(
            machine.nextHeld() == .answerAndClose(.requestHeaderFieldsTooLarge, "The request head is too large."))
        #expect(machine.state == .closed)
        #expect(machine.nextHeld() == nil)

        var within = Self.machine()
        #expect(within.handsOn(Self.request(.POST)) == true)
        #expect(
            within.parseFailed(headTooLarge: false) == .answerAndClose(.badRequest, "The request could not be parsed."))
    }

    @Test("the parser takes no more while the most pipelined requests wait; the request being read does not count")
    func readAhead() {
        var machine = Self.machine(maxWaiting: 2)
        #expect(machine.parserMayRead)
        #expect(machine.handsOn(Self.request(.POST)) == true)
        #expect(machine.parserMayRead)
        #expect(machine.receivedEnd() == .forward(.end(nil)))
        #expect(machine.receivedHead(Self.request()) == .hold)
        // The second request is being read: its body must get through.
        #expect(machine.parserMayRead)
        #expect(machine.receivedEnd() == .hold)
        #expect(!machine.parserMayRead)
        _ = machine.writingHead(Self.response())
        #expect(!machine.parserMayRead)
        _ = machine.writingEnd()
        #expect(machine.parserMayRead)
    }

    @Test(
        "after a request that stops the parser, the parser takes nothing more",
        arguments: [
            (request(.CONNECT), true),
            (request(headers: ["Host": "x", "Upgrade": "websocket", "Connection": "Upgrade"]), true),
            (request(headers: ["Host": "x", "Upgrade": "websocket"]), false),
        ])
    func parserStops(head: HTTPRequestHead, stops: Bool) {
        var machine = Self.machine()
        #expect(machine.handsOn(head) == true)
        #expect(machine.parserMayRead)
        #expect(machine.receivedEnd() == .forward(.end(nil)))
        _ = machine.writingHead(Self.response())
        _ = machine.writingEnd()
        #expect(machine.parserMayRead == !stops)
    }

    @Test("the first head is due within the head deadline of the connection's acceptance, whenever its bytes come")
    func firstHeadDeadline() {
        var machine = Self.machine()
        #expect(!machine.headOverdue(now: Self.opened + .milliseconds(100)))
        #expect(machine.headOverdue(now: Self.opened + .milliseconds(101)))
        machine.bytesReachParser(now: Self.opened + .milliseconds(90))
        #expect(machine.headOverdue(now: Self.opened + .milliseconds(101)))
        #expect(machine.handsOn(Self.request()) == true)
        #expect(!machine.headOverdue(now: Self.opened + .seconds(60)))
    }

    @Test("a later head's deadline runs from its first bytes at the parser to its parsing, by the time passed in")
    func headDeadline() {
        var machine = Self.machine()
        #expect(machine.handsOn(Self.request()) == true)
        #expect(machine.receivedEnd() == .forward(.end(nil)))
        _ = machine.writingHead(Self.response())
        _ = machine.writingEnd()
        let start = Self.opened + .seconds(1)
        #expect(!machine.headOverdue(now: start + .seconds(60)))
        machine.bytesReachParser(now: start)
        machine.bytesReachParser(now: start + .milliseconds(60))
        #expect(!machine.headOverdue(now: start + .milliseconds(100)))
        #expect(machine.headOverdue(now: start + .milliseconds(101)))
        #expect(machine.handsOn(Self.request(.POST)) == true)
        #expect(!machine.headOverdue(now: start + .seconds(60)))
        // A body starts no deadline; bytes after the request's end start the next one.
        machine.bytesReachParser(now: start + .seconds(60))
        #expect(machine.receivedEnd() == .forward(.end(nil)))
        #expect(!machine.headOverdue(now: start + .seconds(120)))
        machine.bytesReachParser(now: start + .seconds(120))
        #expect(machine.headOverdue(now: start + .seconds(121)))
        machine.closed()
        #expect(!machine.headOverdue(now: start + .seconds(121)))
    }

    @Test("a request's 'Connection: close' makes its response the last, which says so and closes")
    func requestCloses() {
        var machine = Self.machine()
        #expect(machine.handsOn(Self.request(headers: ["Host": "x", "Connection": "close"])) == true)
        #expect(machine.receivedEnd() == .forward(.end(nil)))
        let head = Self.response()
        #expect(machine.writingHead(head) == .writeHead(Self.framed(head, connection: "close")))
        #expect(machine.lastResponseEnded == false)
        #expect(machine.isClosing)
        #expect(machine.writingEnd() == .writeLastThenClose)
        #expect(machine.lastResponseEnded == true)
    }

    @Test("a response's own 'Connection: close' is written as it is and closes")
    func responseCloses() {
        var machine = Self.machine()
        #expect(machine.handsOn(Self.request()) == true)
        #expect(machine.receivedEnd() == .forward(.end(nil)))
        #expect(machine.writingHead(Self.response(headers: ["Content-Length": "0", "Connection": "close"])) == .write)
        #expect(machine.writingEnd() == .writeLastThenClose)
    }

    @Test(
        "a request that stops the parser (CONNECT, Upgrade) is the connection's last",
        arguments: [
            request(.CONNECT),
            request(headers: ["Host": "x", "Upgrade": "websocket", "Connection": "Upgrade"]),
        ])
    func stopsParser(head: HTTPRequestHead) {
        var machine = Self.machine()
        #expect(machine.handsOn(head) == true)
        #expect(machine.receivedEnd() == .forward(.end(nil)))
        let response = Self.response(.methodNotAllowed)
        #expect(machine.writingHead(response) == .writeHead(Self.framed(response, connection: "close")))
        #expect(machine.writingEnd() == .writeLastThenClose)
    }

    @Test("'Upgrade' that 'Connection' does not name leaves the connection open")
    func upgradeNotNamed() {
        var machine = Self.machine()
        #expect(machine.handsOn(Self.request(headers: ["Host": "x", "Upgrade": "websocket"])) == true)
        #expect(machine.receivedEnd() == .forward(.end(nil)))
        #expect(machine.writingHead(Self.response()) == .write)
        #expect(machine.writingEnd() == .write)
        #expect(machine.isServing)
    }

    @Test("HTTP/1.0 without keep-alive: the response says close, and without a length goes out as HTTP/1.0")
    func http10Closes() {
        var machine = Self.machine()
        #expect(machine.handsOn(Self.request(version: .http1_0, headers: [:])) == true)
        #expect(machine.receivedEnd() == .forward(.end(nil)))
        let unframed = Self.response(headers: [:])
        #expect(
            machine.writingHead(unframed) == .writeHead(Self.framed(unframed, connection: "close", version: .http1_0)))
        #expect(machine.writingEnd() == .writeLastThenClose)

        var withLength = Self.machine()
        _ = withLength.receivedHead(Self.request(version: .http1_0, headers: [:]))
        _ = withLength.receivedEnd()
        let head = Self.response()
        #expect(withLength.writingHead(head) == .writeHead(Self.framed(head, connection: "close")))
    }

    @Test("HTTP/1.0 keep-alive stays open when the response has a length, or no body, and closes otherwise")
    func http10KeepAlive() {
        let keepAlive = Self.request(version: .http1_0, headers: ["Connection": "keep-alive"])
        for (method, head, closes) in [
            (HTTPMethod.GET, Self.response(), false),
            (.GET, Self.response(.noContent, headers: [:]), false),
            (.GET, Self.response(.notModified, headers: [:]), false),
            (.HEAD, Self.response(headers: [:]), false),
            (.GET, Self.response(headers: [:]), true),
        ] {
            var machine = Self.machine()
            var request = keepAlive
            request.method = method
            #expect(machine.handsOn(request) == true)
            #expect(machine.receivedEnd() == .forward(.end(nil)))
            let version: HTTPVersion = head.headers.contains(name: "content-length") ? .http1_1 : .http1_0
            let expected = Self.framed(head, connection: closes ? "close" : "keep-alive", version: version)
            #expect(machine.writingHead(head) == .writeHead(expected))
            #expect(machine.writingEnd() == (closes ? .writeLastThenClose : .write))
        }
    }

    @Test("an HTTP/1.0 request's expectation is not handed on; an HTTP/1.1 one is")
    func expectation() {
        var http10 = Self.machine()
        let expecting = Self.request(version: .http1_0, headers: ["Expect": "100-continue"])
        #expect(http10.receivedHead(expecting) == .forward(.head(Self.request(version: .http1_0, headers: [:]))))
        var http11 = Self.machine()
        #expect(http11.handsOn(Self.request(headers: ["Host": "x", "Expect": "100-continue"])) == true)
    }

    @Test("100 Continue goes out and changes nothing")
    func interimResponse() {
        var machine = Self.machine()
        #expect(machine.handsOn(Self.request(.POST)) == true)
        #expect(machine.writingHead(HTTPResponseHead(version: .http1_1, status: .continue)) == .write)
        #expect(machine.receivedEnd() == .forward(.end(nil)))
        #expect(machine.writingHead(Self.response()) == .write)
        #expect(machine.writingEnd() == .write)
        #expect(machine.isServing)
    }

    @Test(
        "no Host on HTTP/1.1, or two, is answered 400 and closes; HTTP/1.0 needs none",
        arguments: [HTTPHeaders(), ["Host": "a", "host": "b"]])
    func host(headers: HTTPHeaders) {
        var machine = Self.machine()
        #expect(
            machine.receivedHead(Self.request(headers: headers))
                == .answerAndClose(.badRequest, "The request must have exactly one Host header."))
        #expect(machine.state == .closed)
        #expect(machine.receivedEnd() == .drop)
        #expect(machine.writingHead(Self.response()) == .drop)
        var http10 = Self.machine()
        #expect(http10.handsOn(Self.request(version: .http1_0, headers: [:])) == true)
    }

    @Test("a last response written before its request has ended closes at the request's end")
    func earlyLastResponse() {
        var machine = Self.machine()
        #expect(machine.handsOn(Self.request(.POST)) == true)
        let head = Self.response(.payloadTooLarge, headers: ["Content-Length": "0", "Connection": "close"])
        #expect(machine.writingHead(head) == .write)
        #expect(machine.writingEnd() == .writeLast)
        #expect(machine.receivedBody() == .forward(.body(Machine.body)))
        #expect(machine.receivedEnd() == .forwardThenClose(.end(nil)))
    }

    @Test("a request that arrives after the last response was decided is dropped and holds no close back")
    func afterTheLastResponse() {
        var machine = Self.machine()
        #expect(machine.handsOn(Self.request(headers: ["Host": "x", "Connection": "close"])) == true)
        #expect(machine.receivedEnd() == .forward(.end(nil)))
        _ = machine.writingHead(Self.response())
        #expect(machine.receivedHead(Self.request()) == .drop)
        #expect(machine.receivedBody() == .drop)
        #expect(machine.writingEnd() == .writeLastThenClose)
        #expect(machine.receivedEnd() == .dropThenClose)
    }

    @Test("a request dropped after the last response does not hold the close back once it has ended")
    func droppedRequestEndedFirst() {
        var machine = Self.machine()
        #expect(machine.handsOn(Self.request(headers: ["Host": "x", "Connection": "close"])) == true)
        #expect(machine.receivedEnd() == .forward(.end(nil)))
        _ = machine.writingHead(Self.response())
        #expect(machine.receivedHead(Self.request()) == .drop)
        #expect(machine.receivedEnd() == .drop)
        #expect(machine.writingEnd() == .writeLastThenClose)
    }

    @Test("asked to close while idle, the connection closes at once")
    func quiesceIdle() {
        var machine = Self.machine()
        #expect(machine.quiesce() == .close)
        #expect(machine.state == .closed)
        #expect(machine.quiesce() == .none)
        #expect(machine.receivedHead(Self.request()) == .drop)
    }

    @Test("asked to close with a request in flight, the connection closes after its response")
    func quiesceInFlight() {
        var machine = Self.machine()
        #expect(machine.handsOn(Self.request()) == true)
        #expect(machine.receivedEnd() == .forward(.end(nil)))
        #expect(machine.quiesce() == .closeWhenIdle)
        #expect(machine.quiesce() == .none)
        let head = Self.response()
        #expect(machine.writingHead(head) == .writeHead(Self.framed(head, connection: "close")))
        #expect(machine.writingEnd() == .writeLastThenClose)
    }

    @Test("asked to close while a request answered early is still being read: its end closes")
    func quiesceAfterAnEarlyAnswer() {
        var machine = Self.machine()
        #expect(machine.handsOn(Self.request(.POST)) == true)
        #expect(machine.writingHead(Self.response()) == .write)
        #expect(machine.writingEnd() == .write)
        #expect(machine.quiesce() == .closeWhenIdle)
        #expect(machine.lastResponseEnded == true)
        #expect(machine.receivedEnd() == .forwardThenClose(.end(nil)))
    }

    @Test("a parse error is answered 400, or 431 for a head too large, and closes")
    func parseError() {
        var machine = Self.machine()
        #expect(
            machine.parseFailed(headTooLarge: false) == .answerAndClose(.badRequest, "The request could not be parsed.")
        )
        #expect(machine.state == .closed)
        #expect(machine.parseFailed(headTooLarge: false) == .drop)
        var tooLarge = Self.machine()
        #expect(
            tooLarge.parseFailed(headTooLarge: true)
                == .answerAndClose(.requestHeaderFieldsTooLarge, "The request head is too large."))
    }

    @Test("a parse error that breaks the request being read is answered, and the application's answer dropped")
    func parseErrorInABody() {
        var machine = Self.machine()
        #expect(machine.handsOn(Self.request(.POST)) == true)
        #expect(
            machine.parseFailed(headTooLarge: false) == .answerAndClose(.badRequest, "The request could not be parsed.")
        )
        #expect(machine.writingHead(Self.response(.internalServerError)) == .drop)
        #expect(machine.writingBody() == .drop)
        #expect(machine.writingEnd() == .drop)
    }

    @Test("a parse error while a response is written, or after its request was answered, just closes")
    func parseErrorUnanswerable() {
        var writing = Self.machine()
        _ = writing.receivedHead(Self.request(.POST))
        _ = writing.writingHead(Self.response())
        #expect(writing.parseFailed(headTooLarge: false) == .close)

        var answered = Self.machine()
        _ = answered.receivedHead(Self.request(.POST))
        _ = answered.writingHead(Self.response())
        _ = answered.writingEnd()
        #expect(answered.parseFailed(headTooLarge: false) == .close)

        var closing = Self.machine()
        _ = closing.receivedHead(Self.request(headers: ["Host": "x", "Connection": "close"]))
        _ = closing.receivedEnd()
        _ = closing.writingHead(Self.response())
        _ = closing.writingEnd()
        #expect(closing.parseFailed(headTooLarge: false) == .close)
    }

    @Test("once the channel has closed, everything is dropped")
    func closed() {
        var machine = Self.machine()
        _ = machine.receivedHead(Self.request())
        machine.closed()
        #expect(machine.state == .closed)
        #expect(machine.receivedBody() == .drop)
        #expect(machine.receivedEnd() == .drop)
        #expect(machine.writingHead(Self.response()) == .drop)
        #expect(machine.writingEnd() == .drop)
        #expect(machine.quiesce() == .none)
    }
}

extension HTTP1ConnectionStateMachine {
    fileprivate static let body = ByteBuffer(string: "body")

    fileprivate mutating func receivedHead(_ head: HTTPRequestHead) -> ReadAction { parsed(.head(head)) }
    fileprivate mutating func receivedBody() -> ReadAction { parsed(.body(Self.body)) }
    fileprivate mutating func receivedEnd() -> ReadAction { parsed(.end(nil)) }

    /// Whether `head` is handed on as it is.
    fileprivate mutating func handsOn(_ head: HTTPRequestHead) -> Bool {
        parsed(.head(head)) == .forward(.head(head))
    }

    fileprivate var isServing: Bool {
        if case .serving = state { return true }
        return false
    }

    /// Whether the last response has ended, once it has been decided.
    fileprivate var lastResponseEnded: Bool? {
        if case .closing(_, let ended) = state { return ended }
        return nil
    }
}
