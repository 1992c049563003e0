import Foundation
import HTTPTypes

/// The header fields that describe one connection rather than the message (RFC 9110 §7.6.1),
/// which a proxy must not pass on.
enum HopByHop {
    /// Always dropped, in both directions.
    static let standard: Set<String> = [
        "connection", "keep-alive", "proxy-connection", "proxy-authenticate", "proxy-authorization", "te",
        "trailer", "transfer-encoding", "upgrade",
    ]

    /// Also dropped from requests: the client sets the host and length of what it sends, and the
    /// proxy has already answered any `Expect`.
    static let requestOnly: Set<String> = ["host", "content-length", "expect"]

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
