import AsyncHTTPClient
import BodySpool
import HTTPTypes
import MAuthClient
import NIOCore
import NIOHTTP1

/// HTTP/1.1, and HTTP/2 where TLS negotiates it, over AsyncHTTPClient.
struct AsyncHTTPClientTransport: RequestTransport {
    /// The client that sends; it follows no redirects.
    let httpClient: HTTPClient
    /// The largest response body read.
    let maxResponseSize: Int

    func send(_ request: OutgoingRequest) async throws -> ReceivedResponse {
        var outgoing = HTTPClientRequest(url: request.url)
        outgoing.method = HTTPMethod(rawValue: request.head.method.rawValue)
        for field in request.head.headerFields {
            outgoing.headers.add(name: field.name.rawName, value: field.value)
        }
        outgoing.body = request.body.map { body in
            switch body {
            case .bytes(let bytes): .bytes(ByteBuffer(bytes: bytes))
            case .file(_, let size): .stream(body.pieces, length: .known(Int64(size)))
            }
        }
        let response = try await httpClient.execute(outgoing, deadline: .distantFuture)
        let body = BodySpool.standard.makeBody()
        for try await part in response.body {
            guard part.readableBytes <= maxResponseSize - body.byteCount else {
                throw CommandFailure("the response body is larger than \(maxResponseSize) bytes")
            }
            try body.append(part)
        }
        guard let head = response.httpTypesHead else {
            throw CommandFailure("the server answered with an invalid status \(response.status.code)")
        }
        let version = response.version
        return ReceivedResponse(
            protocolName: version.major == 2 ? "HTTP/2" : "HTTP/\(version.major).\(version.minor)",
            head: head,
            body: body
        )
    }
}
