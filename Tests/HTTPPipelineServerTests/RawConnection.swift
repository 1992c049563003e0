import Foundation
import MAuthTestSupport

// SwiftNIO's C shim includes the socket headers first, so the compiler takes `sockaddr_in`'s fields
// to be declared there.
#if canImport(CNIOLinux)
    import CNIOLinux
#endif

#if canImport(Glibc)
    import Glibc

    private let systemSend = Glibc.send
#elseif canImport(Darwin)
    import Darwin

    private let systemSend = Darwin.send
#endif

/// A plain TCP connection for sending bytes no HTTP client would send: pipelined requests,
/// garbage, oversized heads.
final class RawConnection: Sendable {
    private let descriptor: Int32

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Connects to `port` on the loopback interface.
    ///
    /// - Parameter receiveBufferSize: a small receive buffer makes the server wait for this side
    ///   to read, as a slow client over a slow link would.
    init(port: Int, receiveBufferSize: Int32? = nil) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw Failure(description: "socket() failed") }
        if var size = receiveBufferSize {
            setsockopt(descriptor, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            close(descriptor)
            throw Failure(description: "connect() failed")
        }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit {
        close(descriptor)
    }

    func send(_ text: String) {
        let bytes = Array(text.utf8)
        var sent = 0
        while sent < bytes.count {
            let count = bytes[sent...].withUnsafeBytes { systemSend(descriptor, $0.baseAddress, $0.count, 0) }
            if count <= 0 { return }
            sent += count
        }
    }

    /// Sends `bytes` over and over without waiting for the server, until `total` bytes are sent or
    /// the connection has taken nothing for a second; returns how many were sent.
    func flood(with bytes: [UInt8], total: Int) async -> Int {
        let descriptor = self.descriptor
        return await onDedicatedThread {
            var sent = 0
            var stalledSince: ContinuousClock.Instant?
            while sent < total {
                let count = bytes.withUnsafeBytes {
                    systemSend(descriptor, $0.baseAddress, min($0.count, total - sent), Int32(MSG_DONTWAIT))
                }
                if count > 0 {
                    sent += count
                    stalledSince = nil
                } else if count < 0, errno == EAGAIN || errno == EWOULDBLOCK {
                    let since = stalledSince ?? .now
                    if since.duration(to: .now) > .seconds(1) { break }
                    stalledSince = since
                    usleep(10_000)
                } else {
                    break
                }
            }
            return sent
        }
    }

    /// Tells the server nothing more will be sent.
    func finishSending() {
        shutdown(descriptor, Int32(SHUT_WR))
    }

    /// Everything the server sends until it closes the connection or goes quiet for five seconds.
    func receiveAll() async -> String {
        await receive(until: nil)
    }

    /// What the server sends until it has sent `marker` (or closes, or goes quiet for five
    /// seconds): a way to wait for a response instead of for a guessed time.
    func receive(until marker: String?) async -> String {
        await receiveReportingReset(until: marker).text
    }

    /// What the server sends until it closes the connection or goes quiet for five seconds, and
    /// whether the connection ended with a reset rather than an orderly close.
    func receiveAllReportingReset() async -> (text: String, reset: Bool) {
        await receiveReportingReset(until: nil)
    }

    private func receiveReportingReset(until marker: String?) async -> (text: String, reset: Bool) {
        let descriptor = self.descriptor
        let marker = marker.map { Array($0.utf8) }
        let (received, reset) = await onDedicatedThread {
            var received: [UInt8] = []
            var reset = false
            var buffer = [UInt8](repeating: 0, count: 65536)
            while marker.map({ !received.contains($0) }) ?? true {
                let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
                if count < 0, errno == EINTR { continue }
                if count < 0 { reset = errno == ECONNRESET }
                if count <= 0 { break }
                received.append(contentsOf: buffer[..<count])
            }
            return (received, reset)
        }
        return (String(decoding: received, as: UTF8.self), reset)
    }
}
