import BodySpool
import HTTPTypes
import NIOCore
import NIOHTTP2
import NIOHTTPTypes
import NIOHTTPTypesHTTP2
import NIOPosix

/// Cleartext HTTP/2 with prior knowledge (h2c), which AsyncHTTPClient does not speak: one
/// connection, one stream.
struct PriorKnowledgeTransport: RequestTransport {
    /// The largest response body read.
    let maxResponseSize: Int

    private typealias Stream = NIOAsyncChannel<HTTPResponsePart, HTTPRequestPart>

    func send(_ request: OutgoingRequest) async throws -> ReceivedResponse {
        let (connection, multiplexer) = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: request.host, port: request.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let multiplexer = try channel.pipeline.syncOperations.configureAsyncHTTP2Pipeline(mode: .client) {
                        $0.eventLoop.makeSucceededVoidFuture()
                    }
                    return (channel, multiplexer)
                }
            }
        defer { connection.close(promise: nil) }
        let stream: Stream = try await multiplexer.openStream { streamChannel in
            streamChannel.eventLoop.makeCompletedFuture {
                try streamChannel.pipeline.syncOperations.addHandler(HTTP2FramePayloadToHTTPClientCodec())
                return try Stream(wrappingChannelSynchronously: streamChannel)
            }
        }
        let maxResponseSize = self.maxResponseSize
        return try await stream.executeThenClose { inbound, outbound in
            try await outbound.write(.head(request.head))
            for try await piece in request.body?.pieces ?? OutgoingBody.bytes([]).pieces {
                try await outbound.write(.body(piece))
            }
            try await outbound.write(.end(nil))
            var head: HTTPResponse?
            let responseBody = BodySpool.standard.makeBody()
            for try await part in inbound {
                switch part {
                case .head(let response) where response.status.kind != .informational:
                    head = response
                case .head:
                    continue
                case .body(let buffer):
                    guard buffer.readableBytes <= maxResponseSize - responseBody.byteCount else {
                        throw CommandFailure("the response body is larger than \(maxResponseSize) bytes")
                    }
                    try responseBody.append(buffer)
                case .end:
                    break
                }
            }
            guard let head else { throw CommandFailure("the server closed the stream without a response") }
            return ReceivedResponse(protocolName: "HTTP/2", head: head, body: responseBody)
        }
    }
}
