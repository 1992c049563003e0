public import HTTPTypes
import NIOCore

/// An error with an HTTP status; it renders as that status with a JSON body
/// `{"error":"<message>"}`.
public struct HTTPError: HTTPResponseError, Sendable, CustomStringConvertible {
    /// The status to answer with.
    public let status: HTTPResponse.Status
    /// The message sent to the client; the status's reason phrase by default.
    public let message: String
    /// Extra header fields for the response.
    public let headerFields: HTTPFields

    /// Creates an error.
    public init(_ status: HTTPResponse.Status, message: String? = nil, headerFields: HTTPFields = [:]) {
        self.status = status
        self.message = message ?? status.reasonPhrase
        self.headerFields = headerFields
    }

    /// 413, for a body larger than `limit` bytes.
    public static func contentTooLarge(limit: Int) -> HTTPError {
        HTTPError(.contentTooLarge, message: "The request body is larger than the limit of \(limit) bytes.")
    }

    public var response: Response {
        var response = Response.json(JSON.object(["error": .string(message)]), status: status)
        response.head.headerFields.append(contentsOf: headerFields)
        return response
    }

    public var description: String { "\(status.code) \(message)" }
}
