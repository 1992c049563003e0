import NIOCore
import NIOHTTP2

/// The flow-control windows of one HTTP/2 connection and of each of its streams, in both
/// directions (RFC 9113 §5.2, §6.9), and the response frames that the client's windows hold back.
///
/// Inbound, a stream's window is given back only as its handler takes the body, so a body nobody
/// reads stays with the client. Outbound, NIOHTTP2 is never handed more than the client's windows
/// allow: a DATA frame that does not fit waits here, cut at what fits, and as the client opens its
/// windows the streams that wait take turns, one frame of at most ``frameSize`` bytes each. A
/// stream is writable only while nothing of it waits and both its window and the connection's are
/// open, so each stream holds back at most what its handler wrote in one call.
///
/// Frames are cut to ``frameSize`` so that NIOHTTP2 never cuts one itself: a frame it holds (while
/// its connection cannot be written to) and drops when the stream closes then costs the connection
/// nothing, and the server gives it back whole (``refund(_:)``).
///
/// A value without a channel: each event is a mutating method that says what the connection's
/// handler must do.
struct HTTP2FlowControl {
    /// The size of every window until SETTINGS or WINDOW_UPDATE frames change it.
    static let protocolWindow = 65_535
    /// The largest window the protocol allows.
    static let maximumWindow = Int(Int32.max)
    /// The largest DATA frame that every peer accepts (the least SETTINGS_MAX_FRAME_SIZE).
    static let frameSize = 16_384

    /// What a WINDOW_UPDATE or a SETTINGS change did to the outbound windows.
    enum WindowChange: Equatable {
        /// No stream can write more than before.
        case unchanged
        /// Held frames may go out (``release()``) and streams may have become writable.
        case opened
        /// A window went past ``maximumWindow``: a stream's is a stream error, the connection's or
        /// the initial window's a connection error, of type FLOW_CONTROL_ERROR.
        case overflow
    }

    private struct Stream {
        var inboundWindow = HTTP2FlowControl.protocolWindow
        var inboundEnded = false
        var outboundWindow: Int
        /// Frames that the windows hold back, in the order they go out.
        var held: [HTTP2Frame.FramePayload] = []
        /// Whether the stream is in ``HTTP2FlowControl/waiting``.
        var isWaiting = false
    }

    private var streams: [HTTP2StreamID: Stream] = [:]
    /// What the server may still send on the connection before the client's next WINDOW_UPDATE.
    private(set) var connectionWindow = HTTP2FlowControl.protocolWindow
    /// The client's SETTINGS_INITIAL_WINDOW_SIZE: each new stream's outbound window.
    private(set) var initialStreamWindow = HTTP2FlowControl.protocolWindow
    /// Streams with held frames that only the connection's window holds back, in turn order.
    private var waiting = CircularBuffer<HTTP2StreamID>()

    /// A stream's outbound window, or `nil` once it is closed.
    func outboundWindow(of id: HTTP2StreamID) -> Int? {
        streams[id]?.outboundWindow
    }

    /// How many bytes of `id`'s response wait for the windows.
    func heldBytes(of id: HTTP2StreamID) -> Int {
        streams[id]?.held.reduce(0) { $0 + $1.flowControlledBytes } ?? 0
    }

    /// Whether a write on `id` would go out now. A closed stream counts as writable: nobody should
    /// wait on it.
    func isWritable(_ id: HTTP2StreamID) -> Bool {
        guard let stream = streams[id] else { return true }
        return stream.held.isEmpty && stream.outboundWindow > 0 && connectionWindow > 0
    }

    // MARK: Streams

    /// The client opened `id`.
    mutating func open(_ id: HTTP2StreamID) {
        streams[id] = Stream(outboundWindow: initialStreamWindow)
    }

    /// `id` closed: what it held back is dropped, never having cost a window.
    mutating func close(_ id: HTTP2StreamID) {
        streams[id] = nil
    }

    // MARK: Inbound

    /// DATA of `flowControlledBytes` (payload and padding) arrived on `id`.
    mutating func received(_ flowControlledBytes: Int, on id: HTTP2StreamID) {
        streams[id]?.inboundWindow -= flowControlledBytes
    }

    /// The client ended `id`: it sends nothing more, so its window is never given back.
    mutating func inboundEnded(on id: HTTP2StreamID) {
        streams[id]?.inboundEnded = true
    }

    /// The handler has taken every part of `id`'s body that arrived and waits for more. Returns the
    /// WINDOW_UPDATE increment to send once half of the window is used, else `nil`.
    mutating func bodyTaken(on id: HTTP2StreamID) -> Int? {
        guard var stream = streams[id], !stream.inboundEnded, stream.inboundWindow <= Self.protocolWindow / 2
        else { return nil }
        let increment = Self.protocolWindow - stream.inboundWindow
        stream.inboundWindow = Self.protocolWindow
        streams[id] = stream
        return increment
    }

    /// The connection's inbound window, as NIOHTTP2 reports it after DATA arrived: the increment
    /// that refills it once half is used, else `nil`. Only each stream's window bounds what a
    /// handler leaves unread, so the connection's is given back at once.
    static func connectionCredit(inboundWindow: Int) -> Int? {
        inboundWindow <= protocolWindow / 2 ? protocolWindow - inboundWindow : nil
    }

    // MARK: Outbound

    /// The frames of a write on `id`, in order: returns those that go out now, having charged them
    /// to the windows, and holds back the rest.
    mutating func write(_ frames: [HTTP2Frame.FramePayload], on id: HTTP2StreamID) -> [HTTP2Frame.FramePayload] {
        guard var stream = streams[id] else { return [] }
        if stream.held.isEmpty, let cost = fitsWhole(frames, within: stream.outboundWindow) {
            stream.outboundWindow -= cost
            connectionWindow -= cost
            streams[id] = stream
            return frames
        }
        stream.held.append(contentsOf: frames)
        var released: [HTTP2Frame.FramePayload] = []
        while takeTurn(&stream, into: &released) {}
        streams[id] = stream
        wait(id)
        return released
    }

    /// The held frames that the windows now let out, the streams waiting on the connection taking
    /// turns, one frame each a turn.
    mutating func release() -> [(HTTP2StreamID, HTTP2Frame.FramePayload)] {
        var released: [(HTTP2StreamID, HTTP2Frame.FramePayload)] = []
        var frames: [HTTP2Frame.FramePayload] = []
        while connectionWindow > 0, let id = waiting.popFirst() {
            guard var stream = streams[id] else { continue }
            stream.isWaiting = false
            _ = takeTurn(&stream, into: &frames)
            for frame in frames { released.append((id, frame)) }
            frames.removeAll(keepingCapacity: true)
            streams[id] = stream
            wait(id)
        }
        return released
    }

    /// The client's WINDOW_UPDATE of `increment` on `id` (the root stream for the connection).
    mutating func windowUpdate(_ increment: Int, on id: HTTP2StreamID) -> WindowChange {
        if id == .rootStream {
            let before = connectionWindow
            connectionWindow += increment
            if connectionWindow > Self.maximumWindow { return .overflow }
            return connectionWindow > 0 && (before <= 0 || !waiting.isEmpty) ? .opened : .unchanged
        }
        guard var stream = streams[id] else { return .unchanged }
        let before = stream.outboundWindow
        stream.outboundWindow += increment
        streams[id] = stream
        if stream.outboundWindow > Self.maximumWindow { return .overflow }
        wait(id)
        return stream.outboundWindow > 0 && (before <= 0 || !stream.held.isEmpty) ? .opened : .unchanged
    }

    /// The client's SETTINGS_INITIAL_WINDOW_SIZE is now `size`: every open stream's window moves by
    /// the difference, and may shut or go negative (RFC 9113 §6.9.2).
    mutating func initialWindowChanged(to size: Int) -> WindowChange {
        let delta = size - initialStreamWindow
        initialStreamWindow = size
        guard delta != 0 else { return .unchanged }
        var overflow = false
        for id in streams.keys {
            streams[id]!.outboundWindow += delta
            overflow = overflow || streams[id]!.outboundWindow > Self.maximumWindow
            wait(id)
        }
        if overflow { return .overflow }
        return delta > 0 ? .opened : .unchanged
    }

    /// NIOHTTP2 dropped a DATA frame of `bytes` without sending it (its stream closed first): the
    /// connection's window gets them back.
    mutating func refund(_ bytes: Int) -> WindowChange {
        guard bytes > 0 else { return .unchanged }
        connectionWindow += bytes
        return connectionWindow - bytes <= 0 && connectionWindow > 0 ? .opened : .unchanged
    }

    // MARK: Turns

    /// The window cost of `frames` when all of them go out as they are, else `nil`.
    private func fitsWhole(_ frames: [HTTP2Frame.FramePayload], within streamWindow: Int) -> Int? {
        var cost = 0
        for frame in frames {
            let bytes = frame.flowControlledBytes
            guard bytes <= Self.frameSize else { return nil }
            cost += bytes
        }
        return cost <= streamWindow && cost <= connectionWindow ? cost : nil
    }

    /// Releases `stream`'s held frames up to and including one DATA frame, cut to what the windows
    /// allow. Returns whether one went out and the stream may take another turn.
    private mutating func takeTurn(_ stream: inout Stream, into released: inout [HTTP2Frame.FramePayload]) -> Bool {
        while let frame = stream.held.first {
            guard case .data(var data) = frame, data.data.readableBytes > 0 else {
                released.append(stream.held.removeFirst())
                continue
            }
            let allowed = min(Self.frameSize, stream.outboundWindow, connectionWindow)
            guard allowed > 0 else { return false }
            let bytes = data.data.readableBytes
            if case .byteBuffer(var buffer) = data.data, bytes > allowed {
                released.append(.data(.init(data: .byteBuffer(buffer.readSlice(length: allowed)!))))
                data.data = .byteBuffer(buffer)
                stream.held[stream.held.startIndex] = .data(data)
                stream.outboundWindow -= allowed
                connectionWindow -= allowed
            } else {
                // A file region cannot be cut here: NIOHTTP2 sends it as the windows allow.
                released.append(stream.held.removeFirst())
                stream.outboundWindow -= bytes
                connectionWindow -= bytes
            }
            // What costs nothing right after it (the end, trailers) goes with it.
            while let next = stream.held.first, next.flowControlledBytes == 0 {
                released.append(stream.held.removeFirst())
            }
            return !stream.held.isEmpty
        }
        return false
    }

    /// Puts `id` in line for the connection's window if it holds frames that only that window
    /// holds back.
    private mutating func wait(_ id: HTTP2StreamID) {
        guard var stream = streams[id], !stream.isWaiting, !stream.held.isEmpty, stream.outboundWindow > 0 else {
            return
        }
        stream.isWaiting = true
        streams[id] = stream
        waiting.append(id)
    }
}

extension HTTP2Frame.FramePayload {
    /// The bytes this frame costs the flow-control windows: a DATA frame's payload, else none.
    var flowControlledBytes: Int {
        guard case .data(let data) = self else { return 0 }
        return data.data.readableBytes + (data.paddingBytes.map { $0 + 1 } ?? 0)
    }
}
