import NIOCore
import NIOHTTP1
import Testing

@testable import HTTPPipelineServer

/// `HTTP1ConnectionStateMachine` driven directly, transition by transition, without a channel:
/// each event's action is what a channel handler would perform.
@Suite("HTTP/1.1 connection state machine")
struct HTTP1ConnectionStateMachineTests {
    private typealias Machine = HTTP1ConnectionStateMachine

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
        var machine = Machine()
        for _ in 0..<2 {
            #expect(machine.receivedHead(Self.request()) == .forward)
            #expect(machine.receivedEnd() == .forward)
            #expect(machine.writingHead(Self.response()) == .write)
            #expect(machine.writingBody() == .write)
            #expect(machine.writingEnd() == .write)
            #expect(machine.state == .serving)
        }
    }

    @Test("a request head waits while a response is owed; a parse error waits once its request has ended")
    func holding() {
        var machine = Machine()
        #expect(!machine.holdsNextRequest)
        #expect(!machine.holdsParseError)
        #expect(machine.receivedHead(Self.request(.POST)) == .forward)
        #expect(machine.holdsNextRequest)
        // A parse error while the request is read breaks that request: it is its answer.
        #expect(!machine.holdsParseError)
        #expect(machine.receivedBody() == .forward)
        #expect(machine.receivedEnd() == .forward)
        #expect(machine.holdsParseError)
        #expect(machine.writingHead(Self.response()) == .write)
        #expect(machine.holdsNextRequest)
        #expect(machine.holdsParseError)
        #expect(machine.writingEnd() == .write)
        #expect(!machine.holdsNextRequest)
        #expect(!machine.holdsParseError)
    }

    @Test("a request's 'Connection: close' makes its response the last, which says so and closes")
    func requestCloses() {
        var machine = Machine()
        #expect(machine.receivedHead(Self.request(headers: ["Host": "x", "Connection": "close"])) == .forward)
        #expect(machine.receivedEnd() == .forward)
        let head = Self.response()
        #expect(machine.writingHead(head) == .writeHead(Self.framed(head, connection: "close")))
        #expect(machine.state == .closing(lastResponseEnded: false))
        #expect(machine.isClosing)
        #expect(machine.writingEnd() == .writeThenClose)
        #expect(machine.state == .closing(lastResponseEnded: true))
    }

    @Test("a response's own 'Connection: close' is written as it is and closes")
    func responseCloses() {
        var machine = Machine()
        #expect(machine.receivedHead(Self.request()) == .forward)
        #expect(machine.receivedEnd() == .forward)
        #expect(machine.writingHead(Self.response(headers: ["Content-Length": "0", "Connection": "close"])) == .write)
        #expect(machine.writingEnd() == .writeThenClose)
    }

    @Test(
        "a request that stops the parser (CONNECT, Upgrade) is the connection's last",
        arguments: [
            request(.CONNECT),
            request(headers: ["Host": "x", "Upgrade": "websocket", "Connection": "Upgrade"]),
        ])
    func stopsParser(head: HTTPRequestHead) {
        var machine = Machine()
        #expect(machine.receivedHead(head) == .forward)
        #expect(machine.receivedEnd() == .forward)
        let response = Self.response(.methodNotAllowed)
        #expect(machine.writingHead(response) == .writeHead(Self.framed(response, connection: "close")))
        #expect(machine.writingEnd() == .writeThenClose)
    }

    @Test("'Upgrade' that 'Connection' does not name leaves the connection open")
    func upgradeNotNamed() {
        var machine = Machine()
        #expect(machine.receivedHead(Self.request(headers: ["Host": "x", "Upgrade": "websocket"])) == .forward)
        #expect(machine.receivedEnd() == .forward)
        #expect(machine.writingHead(Self.response()) == .write)
        #expect(machine.writingEnd() == .write)
        #expect(machine.state == .serving)
    }

    @Test("HTTP/1.0 without keep-alive: the response says close, and without a length goes out as HTTP/1.0")
    func http10Closes() {
        var machine = Machine()
        #expect(machine.receivedHead(Self.request(version: .http1_0, headers: [:])) == .forward)
        #expect(machine.receivedEnd() == .forward)
        let unframed = Self.response(headers: [:])
        #expect(
            machine.writingHead(unframed) == .writeHead(Self.framed(unframed, connection: "close", version: .http1_0)))
        #expect(machine.writingEnd() == .writeThenClose)

        var withLength = Machine()
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
            var machine = Machine()
            var request = keepAlive
            request.method = method
            #expect(machine.receivedHead(request) == .forward)
            #expect(machine.receivedEnd() == .forward)
            let version: HTTPVersion = head.headers.contains(name: "content-length") ? .http1_1 : .http1_0
            let expected = Self.framed(head, connection: closes ? "close" : "keep-alive", version: version)
            #expect(machine.writingHead(head) == .writeHead(expected))
            #expect(machine.writingEnd() == (closes ? .writeThenClose : .write))
        }
    }

    @Test("an HTTP/1.0 request's expectation is not handed on; an HTTP/1.1 one is")
    func expectation() {
        var http10 = Machine()
        let expecting = Self.request(version: .http1_0, headers: ["Expect": "100-continue"])
        #expect(http10.receivedHead(expecting) == .forwardHead(Self.request(version: .http1_0, headers: [:])))
        var http11 = Machine()
        #expect(http11.receivedHead(Self.request(headers: ["Host": "x", "Expect": "100-continue"])) == .forward)
    }

    @Test("100 Continue goes out and changes nothing")
    func interimResponse() {
        var machine = Machine()
        #expect(machine.receivedHead(Self.request(.POST)) == .forward)
        #expect(machine.writingHead(HTTPResponseHead(version: .http1_1, status: .continue)) == .write)
        #expect(!machine.responseInProgress)
        #expect(machine.receivedEnd() == .forward)
        #expect(machine.writingHead(Self.response()) == .write)
        #expect(machine.writingEnd() == .write)
        #expect(machine.state == .serving)
    }

    @Test(
        "no Host on HTTP/1.1, or two, is answered 400 and closes; HTTP/1.0 needs none",
        arguments: [HTTPHeaders(), ["Host": "a", "host": "b"]])
    func host(headers: HTTPHeaders) {
        var machine = Machine()
        #expect(
            machine.receivedHead(Self.request(headers: headers))
                == .answerAndClose(.badRequest, "The request must have exactly one Host header."))
        #expect(machine.state == .closed)
        #expect(machine.receivedEnd() == .drop)
        #expect(machine.writingHead(Self.response()) == .drop)
        var http10 = Machine()
        #expect(http10.receivedHead(Self.request(version: .http1_0, headers: [:])) == .forward)
    }

    @Test("a last response written before its request has ended closes at the request's end")
    func earlyLastResponse() {
        var machine = Machine()
        #expect(machine.receivedHead(Self.request(.POST)) == .forward)
        #expect(machine.requestOpen)
        let head = Self.response(.payloadTooLarge, headers: ["Content-Length": "0", "Connection": "close"])
        #expect(machine.writingHead(head) == .write)
        #expect(machine.writingEnd() == .write)
        #expect(machine.receivedBody() == .forward)
        #expect(machine.receivedEnd() == .forwardThenClose)
    }

    @Test("a request that arrives after the last response was decided is dropped and holds no close back")
    func afterTheLastResponse() {
        var machine = Machine()
        #expect(machine.receivedHead(Self.request(headers: ["Host": "x", "Connection": "close"])) == .forward)
        #expect(machine.receivedEnd() == .forward)
        _ = machine.writingHead(Self.response())
        #expect(machine.receivedHead(Self.request()) == .drop)
        #expect(machine.receivedBody() == .drop)
        #expect(machine.writingEnd() == .writeThenClose)
        #expect(machine.receivedEnd() == .dropThenClose)
    }

    @Test("a request dropped after the last response does not hold the close back once it has ended")
    func droppedRequestEndedFirst() {
        var machine = Machine()
        #expect(machine.receivedHead(Self.request(headers: ["Host": "x", "Connection": "close"])) == .forward)
        #expect(machine.receivedEnd() == .forward)
        _ = machine.writingHead(Self.response())
        #expect(machine.receivedHead(Self.request()) == .drop)
        #expect(machine.receivedEnd() == .drop)
        #expect(machine.writingEnd() == .writeThenClose)
    }

    @Test("asked to close while idle, the connection closes at once")
    func quiesceIdle() {
        var machine = Machine()
        #expect(machine.quiesce() == .close)
        #expect(machine.state == .closed)
        #expect(machine.quiesce() == .none)
        #expect(machine.receivedHead(Self.request()) == .drop)
    }

    @Test("asked to close with a request in flight, the connection closes after its response")
    func quiesceInFlight() {
        var machine = Machine()
        #expect(machine.receivedHead(Self.request()) == .forward)
        #expect(machine.receivedEnd() == .forward)
        #expect(machine.quiesce() == .closeWhenIdle)
        #expect(machine.quiesce() == .none)
        let head = Self.response()
        #expect(machine.writingHead(head) == .writeHead(Self.framed(head, connection: "close")))
        #expect(machine.writingEnd() == .writeThenClose)
    }

    @Test("asked to close while a request answered early is still being read: its end closes")
    func quiesceAfterAnEarlyAnswer() {
        var machine = Machine()
        #expect(machine.receivedHead(Self.request(.POST)) == .forward)
        #expect(machine.writingHead(Self.response()) == .write)
        #expect(machine.writingEnd() == .write)
        #expect(machine.quiesce() == .closeWhenIdle)
        #expect(machine.state == .closing(lastResponseEnded: true))
        #expect(machine.receivedEnd() == .forwardThenClose)
    }

    @Test("a parse error is answered 400, or 431 for a head too large, and closes")
    func parseError() {
        var machine = Machine()
        #expect(
            machine.parseFailed(headTooLarge: false) == .answerAndClose(.badRequest, "The request could not be parsed.")
        )
        #expect(machine.state == .closed)
        #expect(machine.parseFailed(headTooLarge: false) == .none)
        var tooLarge = Machine()
        #expect(
            tooLarge.parseFailed(headTooLarge: true)
                == .answerAndClose(.requestHeaderFieldsTooLarge, "The request head is too large."))
    }

    @Test("a parse error that breaks the request being read is answered, and the application's answer dropped")
    func parseErrorInABody() {
        var machine = Machine()
        #expect(machine.receivedHead(Self.request(.POST)) == .forward)
        #expect(
            machine.parseFailed(headTooLarge: false) == .answerAndClose(.badRequest, "The request could not be parsed.")
        )
        #expect(machine.writingHead(Self.response(.internalServerError)) == .drop)
        #expect(machine.writingBody() == .drop)
        #expect(machine.writingEnd() == .drop)
    }

    @Test("a parse error while a response is written, or after its request was answered, just closes")
    func parseErrorUnanswerable() {
        var writing = Machine()
        _ = writing.receivedHead(Self.request(.POST))
        _ = writing.writingHead(Self.response())
        #expect(writing.responseInProgress)
        #expect(writing.parseFailed(headTooLarge: false) == .close)

        var answered = Machine()
        _ = answered.receivedHead(Self.request(.POST))
        _ = answered.writingHead(Self.response())
        _ = answered.writingEnd()
        #expect(answered.parseFailed(headTooLarge: false) == .close)

        var closing = Machine()
        _ = closing.receivedHead(Self.request(headers: ["Host": "x", "Connection": "close"]))
        _ = closing.receivedEnd()
        _ = closing.writingHead(Self.response())
        _ = closing.writingEnd()
        #expect(closing.parseFailed(headTooLarge: false) == .close)
    }

    @Test("once the channel has closed, everything is dropped")
    func closed() {
        var machine = Machine()
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
