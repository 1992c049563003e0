import Locking
import NIOCore

/// The open connections of a server, so that a graceful shutdown can ask each to finish.
///
/// Quiescing an HTTP/1.1 connection closes it once its in-flight request has been answered (at
/// once when it is idle); quiescing an HTTP/2 connection sends GOAWAY and closes it when its open
/// streams are done. Each connection is asked once, and only after its protocol is agreed: before
/// that no HTTP handler is there to hear it, and the HTTP handlers treat a second request as a
/// programming error.
final class ConnectionRegistry: Sendable {
    private struct State {
        var shuttingDown = false
        var channels: [ObjectIdentifier: any Channel] = [:]
        var negotiated: Set<ObjectIdentifier> = []
        var asked: Set<ObjectIdentifier> = []
        var told: Set<ObjectIdentifier> = []
    }

    private let state = Locked(State())

    /// Adds a connection; one that arrives during shutdown is asked to finish straight away.
    func register(_ channel: any Channel) {
        let shuttingDown = state.withLock { state in
            state.channels[ObjectIdentifier(channel)] = channel
            return state.shuttingDown
        }
        if shuttingDown { quiesce(channel) }
    }

    func unregister(_ channel: any Channel) {
        state.withLock { state in
            let id = ObjectIdentifier(channel)
            state.channels[id] = nil
            state.negotiated.remove(id)
            state.asked.remove(id)
            state.told.remove(id)
        }
    }

    /// Asks every connection, present and future, to finish.
    func quiesceAll() {
        let channels = state.withLock { state in
            state.shuttingDown = true
            return Array(state.channels.values)
        }
        for channel in channels { quiesce(channel) }
    }

    /// Closes every connection at once; returns how many there were.
    func closeAll() -> Int {
        let channels = state.withLock { Array($0.channels.values) }
        for channel in channels { channel.close(promise: nil) }
        return channels.count
    }

    /// Records that `channel`'s protocol is agreed, passing on a request to finish that came
    /// earlier.
    func negotiated(_ channel: any Channel) {
        let id = ObjectIdentifier(channel)
        let tell = state.withLock { state in
            state.negotiated.insert(id)
            return (state.shuttingDown || state.asked.contains(id)) && state.told.insert(id).inserted
        }
        if tell { Self.tell(channel) }
    }

    /// Asks `channel` to finish, once.
    func quiesce(_ channel: any Channel) {
        let id = ObjectIdentifier(channel)
        let tell = state.withLock { state in
            state.asked.insert(id)
            return state.negotiated.contains(id) && state.told.insert(id).inserted
        }
        if tell { Self.tell(channel) }
    }

    private static func tell(_ channel: any Channel) {
        channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
    }
}
