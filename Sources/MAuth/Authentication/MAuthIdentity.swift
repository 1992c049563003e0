/// Who signed an authentic message: the app UUID from its authentication header and the protocol
/// version that was verified.
public struct MAuthIdentity: Sendable, Hashable, CustomStringConvertible {
    /// The signer's app UUID, exactly as written in the authentication header.
    public let appUUID: String
    /// The protocol version whose signature was verified.
    public let version: MAuthProtocolVersion

    /// Creates an identity.
    public init(appUUID: String, version: MAuthProtocolVersion) {
        self.appUUID = appUUID
        self.version = version
    }

    public var description: String { "app_uuid=\(appUUID) protocol=\(version)" }
}
