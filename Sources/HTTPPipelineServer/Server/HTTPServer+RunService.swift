public import ServiceLifecycle
public import UnixSignals

extension HTTPServer {
    /// Serves until one of `gracefulShutdownSignals` arrives, then shuts down gracefully: the
    /// server stops accepting, finishes the requests in flight, and returns.
    ///
    /// ```swift
    /// let server = HTTPServer(configuration: .init(port: 8080), handler: pipeline, logger: logger)
    /// try await server.runService()
    /// ```
    ///
    /// Run the server in a `ServiceGroup` of your own instead when it shares the process with
    /// other services that must start and stop with it.
    ///
    /// - Parameters:
    ///   - gracefulShutdownSignals: the signals that start the graceful shutdown; SIGTERM and
    ///     SIGINT by default.
    ///   - services: other services to run beside the server (a metrics endpoint, an exporter),
    ///     started with it and shut down after it.
    /// - Throws: ``HTTPServerError`` when a port cannot be bound, or what one of `services` throws.
    public func runService(
        gracefulShutdownSignals: [UnixSignal] = [.sigterm, .sigint],
        alongside services: [any Service] = []
    ) async throws {
        let group = ServiceGroup(
            configuration: .init(
                services: [self] + services, gracefulShutdownSignals: gracefulShutdownSignals, logger: logger)
        )
        try await group.run()
    }
}
