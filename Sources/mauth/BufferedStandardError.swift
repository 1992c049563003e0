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
    func timestamp() -> String {
        var now = time(nil)
        let cached = state.withLock { $0.second == now ? $0.stamp : nil }
        if let cached { return cached }
        var local = tm()
        localtime_r(&now, &local)
        var buffer = [CChar](repeating: 0, count: 64)
        strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%S%z", &local)
        let stamp = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        state.withLock {
            $0.second = now
            $0.stamp = stamp
        }
        return stamp
    }

    /// Queues `line`; with `now`, writes it and everything queued before it at once.
    func write(_ line: String, now: Bool) {
        state.withLock { $0.pending.append(contentsOf: line.utf8) }
        if now { flush() }
    }

    /// Writes everything queued.
    func flush() {
        writing.withLock { _ in
            let bytes = state.withLock { state in
                defer { state.pending.removeAll(keepingCapacity: true) }
                return state.pending
            }
            var written = 0
            while written < bytes.count {
                let count = bytes[written...].withUnsafeBytes { systemWrite(2, $0.baseAddress, $0.count) }
                if count <= 0 { return }
                written += count
            }
        }
    }
}
