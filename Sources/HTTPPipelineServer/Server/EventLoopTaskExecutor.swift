import NIOCore

/// Runs the tasks of one connection on the thread of its channel's event loop.
///
/// A request then goes from the socket to the handler and back without changing threads: the
/// handler's task does not wait for a thread of the Swift pool to take it, and its writes reach
/// the channel without a hop back to the event loop. A handler that runs long (or blocks) holds up
/// the other connections on its loop, so such work belongs on another executor.
final class EventLoopTaskExecutor: TaskExecutor {
    private let eventLoop: any EventLoop

    init(_ eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute {
            job.runSynchronously(on: self.asUnownedTaskExecutor())
        }
    }
}
