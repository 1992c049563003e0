import AsyncHTTPClient
import NIOCore
import NIOHTTP1

/// A POST whose body is sent in chunks with no `Content-Length`, so a server learns its size only
/// by reading it.
public enum StreamedUpload {
    /// Posts `chunks` chunks of 512 bytes to `url` and returns the status code.
    public static func post(to url: String, chunks: Int) async throws -> UInt {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/octet-stream")
        let parts = AsyncStream<ByteBuffer> { continuation in
            for _ in 0..<chunks { continuation.yield(ByteBuffer(repeating: UInt8(ascii: "x"), count: 512)) }
            continuation.finish()
        }
        request.body = .stream(parts, length: .unknown)
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        return response.status.code
    }
}
