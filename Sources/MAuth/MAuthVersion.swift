/// A version of the MAuth protocol: V1 (token `MWS`) or V2 (token `MWSV2`).
public struct MAuthVersion: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The protocol number, `1` or `2`.
    public let number: Int

    private init(number: Int) {
        self.number = number
    }

    /// Protocol V1: `X-MWS-Authentication` / `X-MWS-Time`, token `MWS`.
    public static let v1 = MAuthVersion(number: 1)
    /// Protocol V2: `MCC-Authentication` / `MCC-Time`, token `MWSV2`.
    public static let v2 = MAuthVersion(number: 2)

    /// Every version this library implements, lowest first.
    public static let all: [MAuthVersion] = [.v1, .v2]

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
    public static func list(from text: String) throws(MAuthError) -> [MAuthVersion] {
        let items = text.lowercased().filter { $0 != " " }.split(separator: ",", omittingEmptySubsequences: false)
        var versions = Set<MAuthVersion>()
        for item in items {
            guard let version = MAuthVersion(item) else {
                throw MAuthError(
                    .invalidConfiguration,
                    "sign versions must be comma-separated MAuth protocol versions (e.g. 'v1,v2'); '\(item)' is not v1 or v2"
                )
            }
            versions.insert(version)
        }
        return versions.sorted()
    }

    /// The token that starts the authentication header: `MWS` or `MWSV2`.
    public var token: String { self == .v1 ? "MWS" : "MWSV2" }

    public static func < (lhs: MAuthVersion, rhs: MAuthVersion) -> Bool { lhs.number < rhs.number }

    public var description: String { "v\(number)" }
}
