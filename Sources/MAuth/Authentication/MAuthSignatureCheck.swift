/// A signature to check and everything its signer signed.
public struct MAuthSignatureCheck: Sendable {
    /// The protocol version of the signature.
    public let version: MAuthProtocolVersion
    /// The app UUID from the authentication header.
    public let appUUID: String
    /// The decoded signature.
    public let signature: [UInt8]
    /// The time header as received.
    public let time: String
    let message: SignedMessage
    let acceptsClientVariants: Bool

    /// The signature as Base64, the form it had in the header.
    public var signatureBase64: String { Base64.encode(signature) }

    /// The request method, for a request.
    public var method: String? {
        if case .request(let method, _) = message.subject { return method }
        return nil
    }

    /// The raw request target, for a request.
    public var target: MAuthRequestTarget? {
        if case .request(_, let target) = message.subject { return target }
        return nil
    }

    /// The status code, for a response.
    public var status: Int? {
        if case .response(let status) = message.subject { return status }
        return nil
    }

    /// The body bytes as received; empty when the body was checked from its digest as it
    /// streamed, which only a verifier whose ``MAuthSignatureVerifier/verifiesBodyDigests`` is
    /// `true` is given.
    public var body: [UInt8] { message.bodyBytes }
}
