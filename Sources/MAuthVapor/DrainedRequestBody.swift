#if VaporSupport
    import NIOCore
    import Vapor

    /// A Vapor request's body as an async sequence of buffers, read through `Request.Body.drain`
    /// with backpressure: Vapor waits while the consumer is behind.
    ///
    /// It stands in for iterating `Request.Body` itself, whose backpressure traps on a precondition
    /// when the consumer asks for more twice between two of Vapor's pauses, which a slow consumer
    /// (a body going to the spool's file) meets now and then. ``ProducerDemand`` takes the producer's
    /// pauses and the consumer's demand in any order.
    struct DrainedRequestBody: AsyncSequence, Sendable {
        typealias Element = ByteBuffer

        /// The buffers the consumer may fall behind by before Vapor waits.
        static let highWatermark = 8
        /// The buffers left when Vapor may go on.
        static let lowWatermark = 2

        let body: Request.Body
        let eventLoop: any EventLoop

        typealias AsyncIterator = NIOThrowingAsyncSequenceProducer<
            ByteBuffer, any Error, NIOAsyncSequenceProducerBackPressureStrategies.HighLowWatermark, ProducerDemand
        >.AsyncIterator

        func makeAsyncIterator() -> AsyncIterator {
            let demand = ProducerDemand(eventLoop: eventLoop)
            let producer = NIOThrowingAsyncSequenceProducer.makeSequence(
                elementType: ByteBuffer.self,
                failureType: (any Error).self,
                backPressureStrategy: NIOAsyncSequenceProducerBackPressureStrategies.HighLowWatermark(
                    lowWatermark: Self.lowWatermark, highWatermark: Self.highWatermark),
                finishOnDeinit: true,
                delegate: demand)
            let source = producer.source
            let eventLoop = eventLoop
            body.drain { part in
                switch part {
                case .buffer(let buffer):
                    switch source.yield(buffer) {
                    case .produceMore: return eventLoop.makeSucceededVoidFuture()
                    case .stopProducing: return demand.whenWanted()
                    case .dropped: return eventLoop.makeFailedFuture(CancellationError())
                    }
                case .error(let error):
                    source.finish(error)
                case .end:
                    source.finish()
                }
                return eventLoop.makeSucceededVoidFuture()
            }
            return producer.sequence.makeAsyncIterator()
        }
    }
#endif
