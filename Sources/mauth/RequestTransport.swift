/// How `mauth request` carries its one signed request to the server and the response back.
protocol RequestTransport: Sendable {
    /// Sends `request` as it is, and reads the whole response.
    ///
    /// - Throws: ``CommandFailure`` with a reason for a response the command cannot take (such as
    ///   one larger than it reads); the transport's own errors when the exchange fails.
    func send(_ request: OutgoingRequest) async throws -> ReceivedResponse
}
