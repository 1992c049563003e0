import Foundation
import HTTPPipelineServer
import NIOCore
import NIOEmbedded
import NIOHTTP1

/// An HTTP/1.1 connection fed any bytes, in any pieces: every request handed on gets its answer,
/// nothing is answered that was not asked (but for one 400 for bytes that do not parse), and every
/// answer is a response.
package enum HTTP1Check {
    private static var configuration: HTTPServerConfiguration {
        var configuration = HTTPServerConfiguration(port: 0)
        configuration.maxHeaderSize = 4096
        return configuration
    }

    package static func run(_ bytes: [UInt8]) {
        var input = FuzzInput(bytes)
        let pieces = Int(input.byte() % 4) + 1
        let data = input.remainder()
        let channel = EmbeddedChannel()
        do {
            try HTTPServer.configureHTTP1Rules(channel, configuration: configuration)
            try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        } catch {
            fatalError("the connection could not be set up: \(error)")
        }
        var heads = 0
        var written: [UInt8] = []
        let size = max(1, (data.count + pieces - 1) / pieces)
        for start in stride(from: 0, to: data.count, by: size) where channel.isActive {
            _ = try? channel.writeInbound(ByteBuffer(bytes: data[start..<min(start + size, data.count)]))
            while case .some(let part) = try? channel.readInbound(as: HTTPServerRequestPart.self) {
                guard case .head(let head) = part else { continue }
                heads += 1
                let response = HTTPResponseHead(version: head.version, status: .ok, headers: ["Content-Length": "0"])
                channel.write(HTTPServerResponsePart.head(response), promise: nil)
                channel.writeAndFlush(HTTPServerResponsePart.end(nil), promise: nil)
            }
            channel.embeddedEventLoop.run()
        }
        while case .some(let buffer) = try? channel.readOutbound(as: IOData.self) {
            if case .byteBuffer(let bytes) = buffer { written += bytes.readableBytesView }
        }
        _ = try? channel.finish()
        let text = String(decoding: written, as: UTF8.self)
        let responses = text.components(separatedBy: "HTTP/1.").count - 1
        check(written.isEmpty || text.hasPrefix("HTTP/1."), "what is written is a response", bytes)
        check(responses <= heads + 1, "only requests (and one unparsable one) are answered", bytes)
    }
}
