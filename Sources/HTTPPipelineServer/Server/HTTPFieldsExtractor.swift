import HTTPTypes
import Tracing

/// Reads a trace context (W3C `traceparent` and `tracestate`, or whatever the tracer propagates)
/// from the header fields of an incoming request.
struct HTTPFieldsExtractor: Extractor {
    /// The field `key`'s values, joined as one field's.
    func extract(key: String, from fields: HTTPFields) -> String? {
        guard let name = HTTPField.Name(key) else { return nil }
        return fields[name]
    }
}
