/// The MAuth service's answer to `GET /mauth/v1/security_tokens/<app_uuid>.json`: the app's
/// public key (PROTOCOL.md §7.1).
///
/// `MAuthService` reads it from a MAuth service; `MAuthDevelopmentService` writes it.
package struct SecurityTokenDocument: Codable, Sendable, Equatable {
    /// The document's one member.
    /// Only the key is required: a reader needs nothing else.
    package struct SecurityToken: Codable, Sendable, Equatable {
        package var appName: String?
        package var appUUID: String?
        /// The public key in PEM.
        package var publicKeyText: String
        /// When the key was registered, in ISO 8601.
        package var createdAt: String?

        package init(appName: String?, appUUID: String?, publicKeyText: String, createdAt: String?) {
            self.appName = appName
            self.appUUID = appUUID
            self.publicKeyText = publicKeyText
            self.createdAt = createdAt
        }

        enum CodingKeys: String, CodingKey {
            case appName = "app_name"
            case appUUID = "app_uuid"
            case publicKeyText = "public_key_str"
            case createdAt = "created_at"
        }
    }

    package var securityToken: SecurityToken

    package init(securityToken: SecurityToken) {
        self.securityToken = securityToken
    }

    enum CodingKeys: String, CodingKey {
        case securityToken = "security_token"
    }
}
