import NIOCore

/// Closes a channel that stays unwritable for a whole timeout: armed when the channel becomes
/// unwritable, disarmed when it is writable again or closes.
///
/// A channel becomes unwritable when what it holds for the peer passes its high-water mark
/// (64 KiB), and writable again once the peer has taken it down to the low-water mark (32 KiB);
/// so a peer that takes at least 32 KiB within the timeout keeps its channel, and one that stops
/// (or reads slower than that) is cut off.
struct UnwritableDeadline {
    private let timeout: TimeAmount
    private var scheduled: Scheduled<Void>?

    init(timeout: Duration) {
        self.timeout = TimeAmount(timeout)
    }

    /// Arms or disarms the deadline for the channel's writability now.
    mutating func update(for channel: any Channel) {
        update(writable: channel.isWritable, on: channel.eventLoop) { channel.close(promise: nil) }
    }

    /// Arms the deadline to call `expire` on `eventLoop` unless it is armed already, or disarms it
    /// when `writable`.
    mutating func update(writable: Bool, on eventLoop: any EventLoop, expire: @escaping @Sendable () -> Void) {
        if writable {
            cancel()
        } else if scheduled == nil {
            scheduled = eventLoop.scheduleTask(in: timeout, expire)
        }
    }

    /// Disarms the deadline.
    mutating func cancel() {
        scheduled?.cancel()
        scheduled = nil
    }
}
