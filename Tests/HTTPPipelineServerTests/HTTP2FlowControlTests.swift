import NIOCore
import NIOHPACK
import NIOHTTP2
import Testing

@testable import HTTPPipelineServer

/// `HTTP2FlowControl` event by event, without a channel.
@Suite("HTTP/2 flow control")
struct HTTP2FlowControlTests {
    private static let one = HTTP2StreamID(1)
    private static let three = HTTP2StreamID(3)
    private static let five = HTTP2StreamID(5)

    private static func data(_ count: Int, end: Bool = false) -> HTTP2Frame.FramePayload {
        .data(.init(data: .byteBuffer(ByteBuffer(repeating: 0x61, count: count)), endStream: end))
    }

    private static let head = HTTP2Frame.FramePayload.headers(.init(headers: [":status": "200"]))

    /// The DATA sizes of `frames`, with `h` for a HEADERS frame and `e` marking END_STREAM.
    private static func shape(_ frames: [HTTP2Frame.FramePayload]) -> [String] {
        frames.map { frame in
            switch frame {
            case .headers(let headers): headers.endStream ? "he" : "h"
            case .data(let data): "\(data.data.readableBytes)" + (data.endStream ? "e" : "")
            default: "?"
            }
        }
    }

    private static func bytes(_ released: [(HTTP2StreamID, HTTP2Frame.FramePayload)], on id: HTTP2StreamID) -> Int {
        released.filter { $0.0 == id }.reduce(0) { $0 + $1.1.flowControlledBytes }
    }

    // MARK: Inbound

    @Test("a stream's window is given back once its handler has taken half of it, and never after its end")
    func inboundCredit() {
        var flow = HTTP2FlowControl()
        flow.open(Self.one)
        flow.received(16_384, on: Self.one)
        #expect(flow.bodyTaken(on: Self.one) == nil)
        flow.received(16_384, on: Self.one)
        #expect(flow.bodyTaken(on: Self.one) == 32_768)
        #expect(flow.bodyTaken(on: Self.one) == nil)
        flow.received(40_000, on: Self.one)
        flow.inboundEnded(on: Self.one)
        #expect(flow.bodyTaken(on: Self.one) == nil)
        #expect(flow.bodyTaken(on: Self.three) == nil)
    }

    @Test("the connection's window is refilled once NIOHTTP2 reports half of it used")
    func connectionCredit() {
        #expect(HTTP2FlowControl.connectionCredit(inboundWindow: 65_535) == nil)
        #expect(HTTP2FlowControl.connectionCredit(inboundWindow: 32_768) == nil)
        #expect(HTTP2FlowControl.connectionCredit(inboundWindow: 32_767) == 32_768)
        #expect(HTTP2FlowControl.connectionCredit(inboundWindow: 0) == 65_535)
    }

    // MARK: Outbound

    @Test("a response that fits the windows goes out as written and is charged to both")
    func fastPath() {
        var flow = HTTP2FlowControl()
        flow.open(Self.one)
        let frames = [Self.head, Self.data(1_000, end: true)]
        #expect(Self.shape(flow.write(frames, on: Self.one)) == ["h", "1000e"])
        #expect(flow.outboundWindow(of: Self.one) == 64_535)
        #expect(flow.connectionWindow == 64_535)
        #expect(flow.isWritable(Self.one))
    }

    @Test("a large DATA frame is cut into frames of 16 KiB, and what the stream's window does not allow is held")
    func cutAndHeld() {
        var flow = HTTP2FlowControl()
        flow.open(Self.one)
        let sent = flow.write(
            [Self.head, Self.data(100_000), .headers(.init(headers: [:], endStream: true))], on: Self.one)
        #expect(Self.shape(sent) == ["h", "16384", "16384", "16384", "16383"])
        #expect(flow.outboundWindow(of: Self.one) == 0)
        #expect(flow.connectionWindow == 0)
        #expect(flow.heldBytes(of: Self.one) == 100_000 - 65_535)
        #expect(!flow.isWritable(Self.one))
        // A window that opens on the stream alone lets nothing out: the connection's is shut too.
        #expect(flow.windowUpdate(100_000, on: Self.one) == .opened)
        #expect(flow.release().isEmpty)
        #expect(flow.windowUpdate(100_000, on: .rootStream) == .opened)
        let rest = flow.release()
        #expect(Self.shape(rest.map(\.1)) == ["16384", "16384", "1697", "he"])
        #expect(flow.heldBytes(of: Self.one) == 0)
        #expect(flow.isWritable(Self.one))
    }

    @Test("streams that wait on the connection's window take it in turns, one frame each")
    func fairShare() {
        var flow = HTTP2FlowControl()
        for id in [Self.one, Self.three, Self.five] {
            flow.open(id)
            #expect(flow.initialWindowChanged(to: 1 << 30) == (id == Self.one ? .opened : .unchanged))
        }
        // Stream 1 takes the whole first connection window; 3 and 5 find it shut.
        #expect(Self.shape(flow.write([Self.data(65_535)], on: Self.one)).count == 4)
        #expect(flow.write([Self.data(1 << 20)], on: Self.three).isEmpty)
        #expect(flow.write([Self.data(1 << 20)], on: Self.five).isEmpty)
        #expect(flow.write([Self.data(1 << 20)], on: Self.one).isEmpty)
        for id in [Self.one, Self.three, Self.five] { #expect(!flow.isWritable(id)) }

        // 48 KiB: one frame each, in the order they began to wait.
        #expect(flow.windowUpdate(3 * 16_384, on: .rootStream) == .opened)
        let first = flow.release()
        #expect(first.map(\.0) == [Self.three, Self.five, Self.one])
        // Then 100 KiB more: the turns go on where they stopped, and the last frame is cut.
        #expect(flow.windowUpdate(100_000, on: .rootStream) == .opened)
        let second = flow.release()
        #expect(second.map(\.0) == [Self.three, Self.five, Self.one, Self.three, Self.five, Self.one, Self.three])
        #expect(Self.bytes(second, on: Self.three) == 2 * 16_384 + (100_000 - 6 * 16_384))
        #expect(flow.connectionWindow == 0)
    }

    @Test("a stream held back by its own window is not in line for the connection's until it opens")
    func streamWindowBlocks() {
        var flow = HTTP2FlowControl()
        flow.open(Self.one)
        flow.open(Self.three)
        _ = flow.write([Self.data(65_535)], on: Self.one)
        // Stream 1's window is shut; stream 3 still has its own but the connection has none.
        #expect(flow.write([Self.data(1_000)], on: Self.one).isEmpty)
        #expect(flow.write([Self.data(1_000)], on: Self.three).isEmpty)
        #expect(flow.windowUpdate(10_000, on: .rootStream) == .opened)
        let released = flow.release()
        #expect(released.map(\.0) == [Self.three])
        #expect(flow.heldBytes(of: Self.one) == 1_000)
        #expect(flow.windowUpdate(500, on: Self.one) == .opened)
        #expect(Self.shape(flow.release().map(\.1)) == ["500"])
        #expect(flow.heldBytes(of: Self.one) == 500)
    }

    @Test("SETTINGS_INITIAL_WINDOW_SIZE moves every open stream's window, below zero too")
    func initialWindowSize() {
        var flow = HTTP2FlowControl()
        flow.open(Self.one)
        _ = flow.write([Self.data(60_000)], on: Self.one)
        #expect(flow.initialWindowChanged(to: 0) == .unchanged)
        #expect(flow.outboundWindow(of: Self.one) == -60_000)
        flow.open(Self.three)
        #expect(flow.outboundWindow(of: Self.three) == 0)
        #expect(!flow.isWritable(Self.one))
        #expect(!flow.isWritable(Self.three))
        #expect(flow.initialWindowChanged(to: 70_000) == .opened)
        #expect(flow.outboundWindow(of: Self.one) == 10_000)
        #expect(flow.outboundWindow(of: Self.three) == 70_000)
        #expect(flow.isWritable(Self.one))
        #expect(flow.initialWindowChanged(to: 70_000) == .unchanged)
    }

    @Test("a window pushed past 2^31 - 1 is an overflow")
    func overflow() {
        var flow = HTTP2FlowControl()
        flow.open(Self.one)
        #expect(flow.windowUpdate(HTTP2FlowControl.maximumWindow - 65_535, on: Self.one) == .unchanged)
        #expect(flow.windowUpdate(1, on: Self.one) == .overflow)
        #expect(flow.windowUpdate(HTTP2FlowControl.maximumWindow, on: .rootStream) == .overflow)
        var other = HTTP2FlowControl()
        other.open(Self.one)
        _ = other.windowUpdate(HTTP2FlowControl.maximumWindow - 65_535, on: Self.one)
        #expect(other.initialWindowChanged(to: 65_536) == .overflow)
    }

    @Test("a frame NIOHTTP2 dropped gives its bytes back to the connection, and a closed stream's held frames go")
    func refundAndClose() {
        var flow = HTTP2FlowControl()
        flow.open(Self.one)
        flow.open(Self.three)
        _ = flow.write([Self.data(65_535)], on: Self.one)
        #expect(flow.write([Self.data(10_000)], on: Self.three).isEmpty)
        flow.close(Self.one)
        #expect(flow.isWritable(Self.one))
        #expect(flow.write([Self.data(1)], on: Self.one).isEmpty)
        #expect(flow.refund(16_384) == .opened)
        #expect(Self.shape(flow.release().map(\.1)) == ["10000"])
        #expect(flow.connectionWindow == 6_384)
        #expect(flow.refund(0) == .unchanged)
        #expect(flow.refund(1) == .unchanged)
    }

    @Test("an empty end and trailers cost nothing and follow the last held frame")
    func freeFramesFollow() {
        var flow = HTTP2FlowControl()
        flow.open(Self.one)
        _ = flow.write([Self.data(65_535)], on: Self.one)
        #expect(flow.write([Self.data(10), Self.data(0, end: true)], on: Self.one).isEmpty)
        _ = flow.windowUpdate(10, on: Self.one)
        _ = flow.windowUpdate(10, on: .rootStream)
        #expect(Self.shape(flow.release().map(\.1)) == ["10", "0e"])
        #expect(flow.isWritable(Self.one) == false)
        _ = flow.windowUpdate(1, on: Self.one)
        #expect(flow.isWritable(Self.one) == false)
        _ = flow.windowUpdate(1, on: .rootStream)
        #expect(flow.isWritable(Self.one))
    }
}
