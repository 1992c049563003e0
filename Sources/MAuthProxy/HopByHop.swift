import Foundation
import HTTPTypes
import MAuth
import NIOHTTP1

/// The header fields that describe one connection rather than the message (RFC 9110 §7.6.1),
/// which a proxy must not pass on.
enum HopByHop {
    /// Always dropped, in both directions.
    static let standard: Set<String> = [
        "connection", "keep-alive", "proxy-connection", "proxy-authenticate", "proxy-authorization", "te",
        "trailer", "transfer-encoding", "upgrade",
    ]

    /// Also dropped from requests: the client sets the host and length of what it sends, the proxy
    /// has already answered any `Expect`, and the proxy makes every signature it forwards.
    static let requestOnly: Set<String> = Set(["host", "content-length", "expect"]).union(
        HTTPField.Name.mauthSignatureFields.map(\.canonicalName))

    static let xForwardedFor = HTTPField.Name("X-Forwarded-For")!

    /// The standard names plus those the `Connection` field lists.
    static func names(connectionField values: [String]) -> Set<String> {
        var names = standard
        for value in values {
            for name in value.split(separator: ",") {
                names.insert(name.trimmingCharacters(in: .whitespaces).lowercased())
            }
        }
        return names
    }
}
