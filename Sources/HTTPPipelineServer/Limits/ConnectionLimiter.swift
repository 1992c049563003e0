import Locking
import NIOCore

/// Keeps the server to at most `maximum` open connections: at the limit its listeners stop
/// accepting, so new clients wait in the listen backlog instead of costing a descriptor, and they
/// resume when a connection closes.
///
/// Its listeners accept one connection per read, so that a freed place admits one waiting client
/// rather than accepting several and closing all but one; should two listeners race for the last
/// place, the loser's connection is closed at once, so the limit is never exceeded.
final class ConnectionLimiter: Sendable {
    private struct State {
        var open = 0
        var waitingListeners: [@Sendable () -> Void] = []
    }

    private let maximum: Int
    private let state = Locked(State())

    init(maximum: Int) {
        self.maximum = max(1, maximum)
    }

    /// A handler for a listener's server channel.
    func makeAcceptGate() -> AcceptGate {
        AcceptGate(limiter: self)
    }

    /// Counts `channel` as open until it closes; returns `false`, counting nothing, at the limit.
    fileprivate func admit(_ channel: any Channel) -> Bool {
        let admitted = state.withLock { state in
            guard state.open < maximum else { return false }
            state.open += 1
            return true
        }
        if admitted {
            channel.closeFuture.whenComplete { _ in self.closed() }
        }
        return admitted
    }

    /// Whether the limit is reached; when it is, `resume` is called once a connection closes.
    fileprivate func isFull(resume: @escaping @Sendable () -> Void) -> Bool {
        state.withLock { state in
            guard state.open >= maximum else { return false }
            state.waitingListeners.append(resume)
            return true
        }
    }

    private func closed() {
        let waiting = state.withLock { state in
            state.open -= 1
            defer { state.waitingListeners = [] }
            return state.waitingListeners
        }
        for resume in waiting { resume() }
    }

    /// Holds a listener's reads (its accepts) while the limit is reached.
    final class AcceptGate: ChannelDuplexHandler {
        typealias InboundIn = any Channel
        typealias InboundOut = any Channel
        typealias OutboundIn = Never

        private let limiter: ConnectionLimiter

        fileprivate init(limiter: ConnectionLimiter) {
            self.limiter = limiter
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let channel = unwrapInboundIn(data)
            if limiter.admit(channel) {
                context.fireChannelRead(data)
            } else {
                channel.close(promise: nil)
            }
        }

        func read(context: ChannelHandlerContext) {
            let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            let eventLoop = context.eventLoop
            let full = limiter.isFull {
                eventLoop.execute {
                    let (gate, context) = loopBound.value
                    gate.read(context: context)
                }
            }
            if !full {
                context.read()
            }
        }
    }
}
