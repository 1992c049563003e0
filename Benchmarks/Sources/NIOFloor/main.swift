// SwiftNIO's own floor for an HTTP/1.1 "hello": what a server built on NIO costs per request before
// any code of swift-mauth's runs. `scripts/floor` measures it beside nginx and `mauth serve`.
//
//     NIOFloor raw PORT     one canned response per request head, no HTTP parser
//     NIOFloor http1 PORT   NIOHTTP1's decoder and encoder, one synchronous handler
//
// One event-loop thread, 127.0.0.1 only; it runs until killed.
import NIOCore
import NIOHTTP1
import NIOPosix

let usage = "usage: NIOFloor raw|http1 PORT"
guard CommandLine.arguments.count == 3, let port = Int(CommandLine.arguments[2]) else {
    fatalError(usage)
}
let mode = CommandLine.arguments[1]
guard mode == "raw" || mode == "http1" else { fatalError(usage) }

let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
    .serverChannelOption(.backlog, value: 256)
    .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
    .childChannelInitializer { channel in
        channel.eventLoop.makeCompletedFuture {
            if mode == "raw" {
                try channel.pipeline.syncOperations.addHandler(CannedResponder())
            } else {
                try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: false)
                try channel.pipeline.syncOperations.addHandler(HelloHandler())
            }
        }
    }
    .bind(host: "127.0.0.1", port: port).get()
try await channel.closeFuture.get()
