public import HTTPTypes
import NIOCore

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

extension Response {
    /// A response whose body is `value` encoded as JSON, as `application/json`.
    ///
    /// ```swift
    /// struct Item: Encodable { let id: Int; let name: String }
    /// router.get("/items/1") { _, _ in try .json(encoding: Item(id: 1, name: "widget")) }
    /// ```
    ///
    /// - Parameters:
    ///   - value: what the body says; encoded with `JSONEncoder`'s defaults and sorted keys.
    ///   - status: the status, 200 by default.
    /// - Returns: the response.
    /// - Throws: the `EncodingError` of a value JSON cannot represent, which a pipeline answers
    ///   with a 500.
    public static func json(encoding value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Response(
            status: status,
            headerFields: [.contentType: "application/json"],
            body: ResponseBody(buffer: ByteBuffer(bytes: try encoder.encode(value)))
        )
    }
}
