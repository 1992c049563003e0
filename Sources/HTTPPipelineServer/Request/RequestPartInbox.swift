import Locking
import NIOCore
import NIOHTTPTypes

/// The request parts of one HTTP/1.1 connection or one HTTP/2 stream, handed from its channel to
/// the task that serves it.
///
/// The inbox asks for more when the task has taken everything that arrived and waits for more. An
/// HTTP/2 stream gives the client flow-control window back only then (``HTTP2StreamsHandler``), so
/// a body nobody reads stays with the client; an HTTP/1.1 connection reads on its own until parts
/// pile up (``HTTP1RequestPartsHandler``), and its socket buffers then hold the rest. Either way a
/// body nobody reads stays with the client instead of in the server's memory.
///
/// Only the task serving the connection or stream takes parts out.
final class RequestPartInbox: Sendable {
    private struct State {
        var parts = CircularBuffer<HTTPRequestPart>(initialCapacity: 2)
        var waiter: CheckedContinuation<HTTPRequestPart?, any Error>?
        /// Whether the parts have ended; no more arrive.
        var ended = false
        /// The error that ended them, until `next()` has thrown it.
        var failure: (any Error)?
        var readRequested = false

        /// Takes the next part if there is one; with `read` set, the channel must be asked for
        /// more.
        mutating func take() -> (outcome: Result<HTTPRequestPart?, any Error>, read: Bool)? {
            if let part = parts.popFirst() {
                if case .end = part { return (.success(part), false) }
                return (.success(part), needsRead(when: parts.isEmpty))
            }
            guard ended else { return nil }
            defer { failure = nil }
            return (failure.map { .failure($0) } ?? .success(nil), false)
        }

        mutating func needsRead(when needed: Bool) -> Bool {
            guard needed, !readRequested, !ended else { return false }
            readRequested = true
            return true
        }
    }

    private let state = Locked(State())
    private let requestRead: @Sendable () -> Void

    /// - Parameter requestRead: asks the channel to read, or the client for more of the stream;
    ///   called from the serving task.
    init(requestRead: @escaping @Sendable () -> Void) {
        self.requestRead = requestRead
    }

    /// The next part, or `nil` once the peer has ended.
    func next() async throws -> HTTPRequestPart? {
        if let (outcome, read) = state.withLock({ $0.take() }) {
            if read { requestRead() }
            return try outcome.get()
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let (taken, read) = state.withLock { state -> ((Result<HTTPRequestPart?, any Error>)?, Bool) in
                    if let (outcome, read) = state.take() { return (outcome, read) }
                    if Task.isCancelled { return (.failure(CancellationError()), false) }
                    state.waiter = continuation
                    return (nil, state.needsRead(when: true))
                }
                if read { requestRead() }
                if let taken { continuation.resume(with: taken) }
            }
        } onCancel: {
            finish(CancellationError())
        }
    }

    /// How many parts wait for the task to take them.
    var waitingParts: Int {
        state.withLock { $0.parts.count }
    }

    /// A part the channel read; on the event loop.
    func receive(_ part: HTTPRequestPart) {
        let waiter = state.withLock { state in
            guard !state.ended else { return nil as CheckedContinuation<HTTPRequestPart?, any Error>? }
            guard let waiter = state.waiter else {
                state.parts.append(part)
                return nil
            }
            state.waiter = nil
            return waiter
        }
        waiter?.resume(returning: part)
    }

    /// The channel's read has completed; on the event loop. Returns whether to read again, for a
    /// task that is waiting and got nothing from this read.
    func readCompleted() -> Bool {
        state.withLock { state in
            state.readRequested = false
            return state.needsRead(when: state.waiter != nil)
        }
    }

    /// Ends the parts: after those already received, `next()` returns `nil`, or throws `error`
    /// once.
    func finish(_ error: (any Error)? = nil) {
        let waiter = state.withLock { state -> CheckedContinuation<HTTPRequestPart?, any Error>? in
            guard !state.ended else { return nil }
            state.ended = true
            guard let waiter = state.waiter else {
                state.failure = error
                return nil
            }
            state.waiter = nil
            return waiter
        }
        waiter?.resume(with: error.map { .failure($0) } ?? .success(nil))
    }
}
