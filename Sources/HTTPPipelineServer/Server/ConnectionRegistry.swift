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
        var told: Set<ObjectIdentifier> = []
    }

    private let state = Locked(State())

    /// Adds a connection; one that arrives during shutdown is asked to finish once its protocol is
    /// agreed.
    func register(_ channel: any Channel) {
        state.withLock { $0.channels[ObjectIdentifier(channel)] = channel }
    }

    func unregister(_ channel: any Channel) {
        state.withLock { state in
            let id = ObjectIdentifier(channel)
            state.channels[id] = nil
            state.negotiated.remove(id)
            state.told.remove(id)
        }
    }

    /// Asks every connection, present and future, to finish.
    func quiesceAll() {
        let channels = state.withLock { state in
            state.shuttingDown = true
            var untold: [any Channel] = []
            for (id, channel) in state.channels where state.negotiated.contains(id) && state.told.insert(id).inserted {
                untold.append(channel)
            }
            return untold
        }
        for channel in channels { Self.tell(channel) }
    }

    /// Closes every connection at once; returns how many there were.
    func closeAll() -> Int {
        let channels = state.withLock { Array($0.channels.values) }
        for channel in channels { channel.close(promise: nil) }
        return channels.count
    }

    /// Records that `channel`'s protocol is agreed, asking it to finish if the server is shutting
    /// down.
    func negotiated(_ channel: any Channel) {
        let id = ObjectIdentifier(channel)
        let tell = state.withLock { state in
            state.negotiated.insert(id)
            return state.shuttingDown && state.told.insert(id).inserted
        }
        if tell { Self.tell(channel) }
    }

    private static func tell(_ channel: any Channel) {
        channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
    }
}
