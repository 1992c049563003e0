import Locking
import NIOCore

@testable import HTTPPipelineServer

extension ReadWatchdog.TimeSource {
    /// The time of `loop`, which moves only when a test advances it, so that a deadline runs out
    /// exactly when the test says and the watchdog's checks see the time they run at.
    static func following(_ loop: any EventLoop) -> Self {
        let origin = ContinuousClock.now
        return Self(
            uptimeNanoseconds: { loop.now.uptimeNanoseconds },
            instant: { origin.advanced(by: .nanoseconds(Int64(loop.now.uptimeNanoseconds))) }
        )
    }
}

/// What a reader's deadline did to its connection or stream: closed it, or failed its reads.
final class RecordingStreamControl: RequestStreamControl {
    private struct Record {
        var closes = 0
        var failures: [any Error] = []
    }

    private let record = Locked(Record())
    private let inbox: RequestPartInbox?

    /// - Parameter inbox: ended as the connection's pipeline would end it: by the failure, or with
    ///   nothing more when the connection closes.
    init(inbox: RequestPartInbox? = nil) {
        self.inbox = inbox
    }

    var closes: Int { record.withLock { $0.closes } }
    var failures: [any Error] { record.withLock { $0.failures } }

    func close() {
        record.withLock { $0.closes += 1 }
        inbox?.finish()
    }

    func failReads(_ error: any Error) {
        record.withLock { $0.failures.append(error) }
        inbox?.finish(error)
    }

    func whenClosed(_ callback: @escaping @Sendable () -> Void) {}
}
