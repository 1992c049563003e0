public import HTTPTypes

/// A version of the MAuth protocol, V1 (token `MWS`) or V2 (token `MWSV2`), with the facts of
/// its headers: their names, the token and the form of the authentication header's value.
public struct MAuthProtocolVersion: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The protocol number, `1` or `2`.
    public let number: Int
    /// The token that starts the authentication header: `MWS` or `MWSV2`.
    public let token: String
    /// The name of this version's authentication header.
    public let authenticationHeader: HTTPField.Name
    /// The name of this version's time header.
    public let timeHeader: HTTPField.Name
    /// What ends the authentication header's value: `;` in V2, nothing in V1.
    public let headerTerminator: String
    /// Whether a request's signature covers its query: V2's does; V1 signs only the path, so a
    /// V1-signed request's query can be changed without breaking its signature.
    public let signsQuery: Bool

    private init(
        number: Int, token: String, authenticationHeader: HTTPField.Name, timeHeader: HTTPField.Name,
        headerTerminator: String, signsQuery: Bool
    ) {
        self.number = number
        self.token = token
        self.authenticationHeader = authenticationHeader
        self.timeHeader = timeHeader
        self.headerTerminator = headerTerminator
        self.signsQuery = signsQuery
    }

    /// Protocol V1: `X-MWS-Authentication: MWS <app_uuid>:<signature>` and `X-MWS-Time`.
    public static let v1 = MAuthProtocolVersion(
        number: 1, token: "MWS", authenticationHeader: .mauthV1Authentication, timeHeader: .mauthV1Time,
        headerTerminator: "", signsQuery: false)
    /// Protocol V2: `MCC-Authentication: MWSV2 <app_uuid>:<signature>;` and `MCC-Time`.
    public static let v2 = MAuthProtocolVersion(
        number: 2, token: "MWSV2", authenticationHeader: .mauthV2Authentication, timeHeader: .mauthV2Time,
        headerTerminator: ";", signsQuery: true)

    /// Every version this library implements, lowest first.
    public static let all: [MAuthProtocolVersion] = [.v1, .v2]

    /// The authentication header's value for a signature: `MWS <app_uuid>:<signature>` or
    /// `MWSV2 <app_uuid>:<signature>;`.
    public func authenticationHeaderValue(appUUID: String, signature: String) -> String {
        "\(token) \(appUUID):\(signature)\(headerTerminator)"
    }

    public static func == (lhs: MAuthProtocolVersion, rhs: MAuthProtocolVersion) -> Bool { lhs.number == rhs.number }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(number)
    }

    /// Parses `v1` or `v2` (any letter case, surrounding spaces ignored).
    public init?(_ text: some StringProtocol) {
        switch text.lowercased().filter({ $0 != " " }) {
        case "v1": self = .v1
        case "v2": self = .v2
        default: return nil
        }
    }

    /// Parses a comma-separated list such as `v1`, `v2` or `v1,v2`, the form of
    /// `MAUTH_SIGN_VERSIONS`. The result is sorted and free of duplicates.
    ///
    /// - Throws: ``MAuthError/Code-swift.struct/invalidConfiguration`` naming the offending item.
    public static func list(from text: String) throws(MAuthError) -> [MAuthProtocolVersion] {
        let items = text.lowercased().filter { $0 != " " }.split(separator: ",", omittingEmptySubsequences: false)
        var versions = Set<MAuthProtocolVersion>()
        for item in items {
            guard let version = MAuthProtocolVersion(item) else {
                throw MAuthError(
                    .invalidConfiguration,
                    "sign versions must be comma-separated MAuth protocol versions (e.g. 'v1,v2'); '\(item)' is not v1 or v2"
                )
            }
            versions.insert(version)
        }
        return versions.sorted()
    }

    public static func < (lhs: MAuthProtocolVersion, rhs: MAuthProtocolVersion) -> Bool { lhs.number < rhs.number }

    public var description: String { "v\(number)" }
}
