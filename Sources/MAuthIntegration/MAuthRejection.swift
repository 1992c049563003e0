public import HTTPTypes
public import MAuth

/// The answer to a request that does not pass MAuth authentication: a status and a JSON body,
/// the same from every integration (`MAuthMiddleware`, Hummingbird, Vapor and OpenAPI).
public struct MAuthRejection: Error, Sendable, Equatable {
    /// 401 for an inauthentic or unsigned request, 500 when authenticity cannot be determined,
    /// 413 for a body over the limit, 503 when the body could not be stored.
    public let status: HTTPResponse.Status
    /// The JSON document: `{"errors":{"mauth":["<message>"]}}`, or `{"error":"<message>"}` for
    /// 413, as the server's other errors.
    public let body: String

    /// The body's content type.
    public static let contentType = "application/json"

    /// The rejection of a request whose authentication failed with `error`.
    ///
    /// Why the server could not decide (the MAuth service unreachable, a broken key store) is
    /// never told to the caller, who may not be authentic: that answer is always `Could not
    /// determine request authenticity`.
    public init(_ error: MAuthError, messages: MAuthGate.ErrorMessages) {
        let unable = error.code != .inauthentic
        let message =
            switch (unable, messages) {
            case (true, _): "Could not determine request authenticity"
            case (false, .detailed): error.message
            case (false, .generic): "Unauthorized"
            }
        self.status = unable ? .internalServerError : .unauthorized
        self.body = RejectionDocument.mauthErrors(message)
    }

    /// 413, for a body larger than `limit` bytes.
    public static func bodyTooLarge(limit: Int) -> MAuthRejection {
        MAuthRejection(
            status: .contentTooLarge,
            body: RejectionDocument.error("The request body is larger than the limit of \(limit) bytes."))
    }

    /// 503, for a body that could not be kept while it was authenticated: the spool's file
    /// system is full or cannot be written. The reason is logged, not told.
    public static let storageUnavailable = MAuthRejection(
        status: .serviceUnavailable,
        body: RejectionDocument.mauthErrors("The request body could not be stored"))

    private init(status: HTTPResponse.Status, body: String) {
        self.status = status
        self.body = body
    }
}
