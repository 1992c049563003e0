import BodySpool
import HTTPTypes
import NIOCore
import NIOHTTP1

/// A response as `mauth request` received it, whichever transport brought it.
struct ReceivedResponse: Sendable {
    /// The protocol as a transcript names it, such as `HTTP/1.1` or `HTTP/2`.
    let protocolName: String
    /// The status and header fields.
    let head: HTTPResponse
    /// The whole body, in the spool: a large one waits in a file, not in memory.
    let body: SpooledBody

    /// The reason phrase the server sent, else the status code's usual one (HTTP/2 sends none).
    var reasonPhrase: String {
        let sent = head.status.reasonPhrase
        return sent.isEmpty ? HTTPResponseStatus(statusCode: head.status.code).reasonPhrase : sent
    }
}
