import NIOCore

/// An HTTP/1.1 connection's control: its channel.
struct ChannelStreamControl: RequestStreamControl {
    let channel: any Channel

    func close() {
        channel.close(promise: nil)
    }

    func failReads(_ error: any Error) {
        // Through the pipeline, so that the error comes after the parts the channel has read.
        channel.pipeline.fireErrorCaught(error)
    }

    func whenClosed(_ callback: @escaping @Sendable () -> Void) {
        channel.closeFuture.whenComplete { _ in callback() }
    }
}
