public import HTTPTypes

/// Thrown where a route needs the authenticated caller and the request has none: the route is
/// exempt from authentication, or authentication is optional and the request was not signed.
///
/// It answers 401 with the JSON body of every other MAuth rejection, from the pipeline and from
/// each framework integration (Hummingbird and OpenAPI render it too).
public struct MAuthIdentityRequired: Error, Sendable, Equatable, CustomStringConvertible {
    /// The message the 401 carries.
    public static let message = "This resource needs a request signed with MAuth"

    /// Creates the error.
    public init() {}

    /// The status it answers with: 401.
    public var status: HTTPResponse.Status { .unauthorized }

    /// The JSON body: `{"errors":{"mauth":["<message>"]}}`.
    public var body: String {
        RejectionDocument.mauthErrors(Self.message)
    }

    public var description: String { "401 \(Self.message)" }
}
