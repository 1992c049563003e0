// SwiftNIO's own floor for HTTP/1.1: what a server or a proxy hop built on NIO costs per request
// before any code of swift-mauth's runs. `scripts/floor` measures it beside nginx and `mauth`.
//
//     NIOFloor raw PORT                  one canned response per request head, no HTTP parser
//     NIOFloor http1 PORT                NIOHTTP1's decoder and encoder, one synchronous handler
//     NIOFloor forward PORT UPSTREAM     NIOHTTP1 on both sides, each request passed on to
//                                        127.0.0.1:UPSTREAM over a connection of the client's own
//
// One event-loop thread, 127.0.0.1 only; it runs until killed.
import NIOCore
import NIOHTTP1
import NIOPosix

let usage = "usage: NIOFloor raw|http1 PORT | NIOFloor forward PORT UPSTREAM_PORT"
let arguments = Array(CommandLine.arguments.dropFirst())
guard let mode = arguments.first, arguments.count >= 2, let port = Int(arguments[1]) else { fatalError(usage) }
let upstreamPort: Int?
switch (mode, arguments.count) {
case ("raw", 2), ("http1", 2): upstreamPort = nil
case ("forward", 3):
    guard let upstream = Int(arguments[2]) else { fatalError(usage) }
    upstreamPort = upstream
default: fatalError(usage)
}

let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
    .serverChannelOption(.backlog, value: 256)
    .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
    .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
    .childChannelInitializer { channel in
        channel.eventLoop.makeCompletedFuture {
            let pipeline = channel.pipeline.syncOperations
            if mode == "raw" {
                try pipeline.addHandler(CannedResponder())
            } else {
                try pipeline.configureHTTPServerPipeline(withErrorHandling: false)
                if let upstreamPort {
                    try pipeline.addHandler(ForwardingHandler(upstreamPort: upstreamPort))
                } else {
                    try pipeline.addHandler(HelloHandler())
                }
            }
        }
    }
    .bind(host: "127.0.0.1", port: port).get()
try await channel.closeFuture.get()
