import Foundation
import Locking

#if canImport(Glibc)
    import Glibc

    private let systemWrite = Glibc.write
#elseif canImport(Darwin)
    import Darwin

    private let systemWrite = Darwin.write
#endif

/// Standard error behind a buffer that a background thread empties every 50 ms.
final class BufferedStandardError: Sendable {
    private struct State {
        var pending: [UInt8] = []
        /// The buffer the last batch was written from, kept to take the next one without an
        /// allocation.
        var spare: [UInt8] = []
        var second = 0
        var stamp = ""
    }

    /// The process's standard error.
    static let shared = BufferedStandardError()

    private let state = Locked(State())
    /// Held while a batch is written, so that batches reach the terminal in order.
    private let writing = Locked(())

    private init() {
        let interval: UInt32 = 50_000
        Thread.detachNewThread { [self] in
            while true {
                usleep(interval)
                flush()
            }
        }
        atexit { BufferedStandardError.shared.flush() }
    }

    /// The local time in the format of swift-log's stream handler, formatted once a second.
    private static func timestamp(_ state: inout State) -> String {
        var now = time(nil)
        if state.second == now { return state.stamp }
        var local = tm()
        localtime_r(&now, &local)
        var buffer = [CChar](repeating: 0, count: 64)
        strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%S%z", &local)
        state.second = now
        state.stamp = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return state.stamp
    }

    /// Queues the line that `render` appends to the buffer, given the current timestamp; with
    /// `flushing`, writes it and everything queued before it at once.
    func appendLine(flushing: Bool, _ render: (inout [UInt8], _ timestamp: String) -> Void) {
        state.withLock { state in
            let timestamp = Self.timestamp(&state)
            render(&state.pending, timestamp)
        }
        if flushing { flush() }
    }

    /// Writes everything queued.
    func flush() {
        writing.withLock { _ in
            // The buffers are swapped, never copied, so that each stays uniquely referenced.
            var batch = state.withLock { state in
                var batch: [UInt8] = []
                swap(&batch, &state.spare)
                swap(&batch, &state.pending)
                return batch
            }
            var written = 0
            while written < batch.count {
                let count = batch[written...].withUnsafeBytes { systemWrite(2, $0.baseAddress, $0.count) }
                if count <= 0 { break }
                written += count
            }
            batch.removeAll(keepingCapacity: true)
            state.withLock { swap(&$0.spare, &batch) }
        }
    }
}
