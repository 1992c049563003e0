/// An error that knows the response it should become.
public protocol HTTPResponseError: Error {
    /// The response to send in place of the handler's.
    var response: Response { get }
}
