import ArgumentParser
import Instrumentation
import ServiceLifecycle
import Tracing

#if OpenTelemetry
    import OTel
#endif

/// `--otel-endpoint`: the spans of `serve` and `proxy`, exported over OTLP/HTTP.
struct TracingOptions: ParsableArguments {
    @Option(
        help: """
            Export spans over OTLP/HTTP to this URL, such as http://127.0.0.1:4318/v1/traces, and \
            propagate W3C trace context (traceparent) in and out; no tracing unless given.
            """)
    var otelEndpoint: String?

    func validate() throws {
        if let otelEndpoint, !(otelEndpoint.hasPrefix("http://") || otelEndpoint.hasPrefix("https://")) {
            throw ValidationError("--otel-endpoint must be an http or https URL, not '\(otelEndpoint)'")
        }
    }

    /// With `--otel-endpoint`, makes swift-otel the process's tracer and returns it with the service
    /// that exports its spans; `nil` otherwise. Call it before anything that traces is made.
    ///
    /// - Throws: a usage error when `mauth` was built without the `OpenTelemetry` trait.
    func bootstrap(serviceName: String) throws -> (tracer: any Tracer, exporter: any Service)? {
        guard let otelEndpoint else { return nil }
        #if !OpenTelemetry
            throw CommandFailure.usage("--otel-endpoint needs mauth built with the OpenTelemetry trait (a default one)")
        #else
            var configuration = OTel.Configuration.default
            configuration.serviceName = serviceName
            configuration.propagators = [.traceContext]
            configuration.metrics.enabled = false
            configuration.logs.enabled = false
            configuration.traces.otlpExporter.endpoint = otelEndpoint
            configuration.traces.otlpExporter.protocol = .httpProtobuf
            configuration.traces.batchSpanProcessor.scheduleDelay = .milliseconds(500)
            let backend = try OTel.makeTracingBackend(configuration: configuration)
            InstrumentationSystem.bootstrap(backend.factory)
            return (backend.factory, backend.service)
        #endif
    }
}
