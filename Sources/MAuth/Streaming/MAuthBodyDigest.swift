/// What a MAuth signature covers of a body that has streamed past, made by
/// ``MAuthBodyDigester``: enough to check the message's signatures without its body.
public struct MAuthBodyDigest: Sendable {
    /// How many bytes the body had.
    public let byteCount: Int
    /// The SHA-512 of the body in hexadecimal ASCII, when the message carries a V2 signature.
    let bodyHexDigest: [UInt8]?
    /// The SHA-512 of the V1 string to sign in hexadecimal ASCII, by the path it was computed for
    /// (empty for a response), when the message carries a V1 signature.
    let v1HexDigests: [String: [UInt8]]
}
