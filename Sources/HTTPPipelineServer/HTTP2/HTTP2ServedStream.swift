import HTTPTypes
import NIOCore
import NIOHTTP2
import NIOHTTPTypes
import Synchronization

/// One HTTP/2 stream being served, as its connection's ``HTTP2StreamsHandler`` keeps it: the
/// request parts for its task, whether its response can be written, and the reset that ends it
/// early.
///
/// Whether the stream is open and writable may be asked from any thread (atomics); everything else
/// belongs to the connection's event loop.
final class HTTP2ServedStream: RequestStreamControl, @unchecked Sendable {
    let id: HTTP2StreamID
    let eventLoop: any EventLoop
    let inbox: RequestPartInbox
    let writability = ChannelWritability()
    private let handler: NIOLoopBound<HTTP2StreamsHandler>
    private let open = Atomic<Bool>(true)
    private let writable = Atomic<Bool>(true)

    /// Whether the client has ended the stream: no more parts come.
    var inboundEnded = false
    /// Whether the response has begun: only then can a shut window hold anything back.
    var hasWritten = false
    var task: Task<Void, Never>?
    private var writeDeadline: UnwritableDeadline
    private var closeCallbacks: [@Sendable () -> Void] = []

    init(
        id: HTTP2StreamID, handler: NIOLoopBound<HTTP2StreamsHandler>, eventLoop: any EventLoop,
        writeTimeout: Duration
    ) {
        self.id = id
        self.handler = handler
        self.eventLoop = eventLoop
        writeDeadline = UnwritableDeadline(timeout: writeTimeout)
        inbox = RequestPartInbox { [handler, eventLoop] in
            if eventLoop.inEventLoop {
                handler.value.creditWindow(of: id)
            } else {
                eventLoop.execute { handler.value.creditWindow(of: id) }
            }
        }
    }

    /// Whether the stream is still open: neither reset nor ended by both sides.
    var isOpen: Bool { open.load(ordering: .relaxed) }

    /// Whether a write would be sent now rather than wait for the client's flow-control window or
    /// for its connection to drain. A closed stream counts as writable: nobody should wait on it.
    var isWritable: Bool { writable.load(ordering: .relaxed) }

    /// Writes `parts` as frames and flushes them; on the event loop.
    func send(_ parts: [HTTPResponsePart]) {
        handler.value.write(parts, on: self)
    }

    /// Sets writability from what the flow-control windows allow and whether the connection takes
    /// more writes; on the event loop.
    func updateWritability(flowControlAllows: Bool, connectionWritable: Bool) {
        guard isOpen else { return }
        let canWrite = connectionWritable && flowControlAllows
        if writable.exchange(canWrite, ordering: .relaxed) != canWrite { writability.changed(to: canWrite) }
        // A client that keeps a window shut on a response has the stream reset; a connection that
        // stops draining is the connection's write timeout's to close.
        let heldBack = hasWritten && connectionWritable && !flowControlAllows
        writeDeadline.update(writable: !heldBack, on: eventLoop) { [self] in close() }
    }

    /// The stream has closed, with `error` when it was reset; on the event loop.
    func closed(_ error: (any Error)?) {
        guard isOpen else { return }
        open.store(false, ordering: .relaxed)
        writable.store(true, ordering: .relaxed)
        writeDeadline.cancel()
        inbox.finish(error)
        writability.closed()
        if error != nil { task?.cancel() }
        let callbacks = closeCallbacks
        closeCallbacks = []
        for callback in callbacks { callback() }
    }

    func close() {
        onLoop { $0.handler.value.reset($0) }
    }

    func failReads(_ error: any Error) {
        onLoop { $0.inbox.finish(error) }
    }

    func whenClosed(_ callback: @escaping @Sendable () -> Void) {
        onLoop { stream in
            if stream.isOpen { stream.closeCallbacks.append(callback) } else { callback() }
        }
    }

    private func onLoop(_ body: @escaping @Sendable (HTTP2ServedStream) -> Void) {
        if eventLoop.inEventLoop {
            body(self)
        } else {
            eventLoop.execute { body(self) }
        }
    }
}
