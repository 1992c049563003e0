public import Foundation
public import MAuth

/// One case of the protocol test suite.
public struct ConformanceCase: Sendable, CustomStringConvertible {
    /// `MWS` or `MWSV2`.
    public let protocolFolder: String
    /// The case folder's name, such as `get-vanilla`.
    public let name: String
    /// The protocol version the case exercises.
    public let version: MAuthProtocolVersion
    /// The case folder.
    public let directory: URL

    /// Cases whose name says so only check that the request authenticates.
    public var isAuthenticationOnly: Bool { name.contains("authentication-only") }

    /// `MWSV2/get-vanilla`.
    public var description: String { "\(protocolFolder)/\(name)" }

    func file(_ suffix: String) -> URL {
        directory.appendingPathComponent("\(name).\(suffix)")
    }
}
