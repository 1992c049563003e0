#if VaporSupport
    import Locking
    import NIOCore

    /// Whether the consumer of a ``DrainedRequestBody`` wants more, told to the producer as a future.
    ///
    /// The producer pauses when a yield answers `stopProducing` and asks ``whenWanted()``; the
    /// consumer's sequence calls ``produceMore()`` once for each such answer, from its own thread,
    /// possibly before the producer has asked. Either order resolves the same pause, so neither side
    /// can miss the other and none of the orders traps.
    final class ProducerDemand: NIOAsyncSequenceProducerDelegate, Sendable {
        private enum State {
            /// The producer is writing.
            case flowing
            /// The producer waits for this promise.
            case waiting(EventLoopPromise<Void>)
            /// The consumer asked for more before the producer paused.
            case wantedAhead
            /// The consumer is gone; the producer stops.
            case ended
        }

        private let eventLoop: any EventLoop
        private let state = Locked(State.flowing)

        init(eventLoop: any EventLoop) {
            self.eventLoop = eventLoop
        }

        /// A future that succeeds once the consumer wants more, and fails once it is gone.
        func whenWanted() -> EventLoopFuture<Void> {
            let eventLoop = eventLoop
            return state.withLock { state in
                switch state {
                case .flowing:
                    let promise = eventLoop.makePromise(of: Void.self)
                    state = .waiting(promise)
                    return promise.futureResult
                case .waiting(let promise):
                    return promise.futureResult
                case .wantedAhead:
                    state = .flowing
                    return eventLoop.makeSucceededVoidFuture()
                case .ended:
                    return eventLoop.makeFailedFuture(CancellationError())
                }
            }
        }

        func produceMore() {
            // The promise completes outside the lock: its callbacks may run here and pause again.
            let resumed: EventLoopPromise<Void>? = state.withLock { state in
                switch state {
                case .waiting(let promise):
                    state = .flowing
                    return promise
                case .flowing:
                    state = .wantedAhead
                    return nil
                case .wantedAhead, .ended:
                    return nil
                }
            }
            resumed?.succeed()
        }

        func didTerminate() {
            let abandoned: EventLoopPromise<Void>? = state.withLock { state in
                defer { state = .ended }
                if case .waiting(let promise) = state { return promise }
                return nil
            }
            abandoned?.fail(CancellationError())
        }
    }
#endif
