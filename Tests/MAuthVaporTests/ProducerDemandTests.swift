#if VaporSupport
    import Locking
    import NIOCore
    import NIOEmbedded
    import Testing

    @testable import MAuthVapor

    /// `ProducerDemand` alone: every order of the producer's pauses and the consumer's demand.
    @Suite("Producer demand")
    struct ProducerDemandTests {
        /// What became of a pause: `nil` while it waits.
        final class Outcome: Sendable {
            let result = Locked<Result<Void, any Error>?>(nil)

            init(_ future: EventLoopFuture<Void>) {
                future.whenComplete { outcome in self.result.withLock { $0 = outcome } }
            }

            var isWaiting: Bool { result.withLock { if case .none = $0 { true } else { false } } }
            var succeeded: Bool { result.withLock { if case .success = $0 { true } else { false } } }
            var failed: Bool { result.withLock { if case .failure = $0 { true } else { false } } }
        }

        let eventLoop = EmbeddedEventLoop()

        @Test("a pause waits until the consumer wants more")
        func pauseThenDemand() {
            let demand = ProducerDemand(eventLoop: eventLoop)
            let pause = Outcome(demand.whenWanted())
            #expect(pause.isWaiting)
            demand.produceMore()
            #expect(pause.succeeded)
            #expect(Outcome(demand.whenWanted()).isWaiting)
        }

        @Test("demand that comes before the pause resolves it at once")
        func demandThenPause() {
            let demand = ProducerDemand(eventLoop: eventLoop)
            demand.produceMore()
            #expect(Outcome(demand.whenWanted()).succeeded)
            #expect(Outcome(demand.whenWanted()).isWaiting)
        }

        @Test("demand twice between two pauses does not trap, and resolves one pause")
        func demandTwice() {
            let demand = ProducerDemand(eventLoop: eventLoop)
            let first = Outcome(demand.whenWanted())
            demand.produceMore()
            demand.produceMore()
            demand.produceMore()
            #expect(first.succeeded)
            #expect(Outcome(demand.whenWanted()).succeeded)
            #expect(Outcome(demand.whenWanted()).isWaiting)
        }

        @Test("a consumer gone fails the pause that waits and every later one")
        func consumerGone() {
            let demand = ProducerDemand(eventLoop: eventLoop)
            let waiting = Outcome(demand.whenWanted())
            demand.didTerminate()
            #expect(waiting.failed)
            demand.produceMore()
            #expect(Outcome(demand.whenWanted()).failed)
        }
    }
#endif
