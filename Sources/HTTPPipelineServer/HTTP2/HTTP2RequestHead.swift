import HTTPTypes
import NIOHPACK

/// An HTTP/2 request's header blocks as HTTP types: the head from its first HEADERS frame and the
/// trailers from a second one.
///
/// NIOHTTP2 has already checked each block (pseudo-fields first, the required ones present, no
/// connection-specific fields); what is left to refuse is what HTTP types cannot hold.
enum HTTP2RequestHead {
    /// A header block that is no request head or trailer section.
    struct Malformed: Error {
        let reason: String
    }

    /// The request whose head is `block`.
    static func request(_ block: HPACKHeaders) throws(Malformed) -> HTTPRequest {
        var method: String?
        var scheme: String?
        var authority: String?
        var path: String?
        var extendedConnectProtocol: String?
        var index = block.startIndex
        while index != block.endIndex {
            let (name, value, _) = block[index]
            guard name.utf8.first == UInt8(ascii: ":") else { break }
            switch name {
            case ":method": try set(&method, value, name)
            case ":scheme": try set(&scheme, value, name)
            case ":authority": try set(&authority, value, name)
            case ":path": try set(&path, value, name)
            case ":protocol": try set(&extendedConnectProtocol, value, name)
            default: throw Malformed(reason: "unknown pseudo-header field \(name)")
            }
            index = block.index(after: index)
        }
        guard let method else { throw Malformed(reason: "no :method") }
        guard let requestMethod = HTTPRequest.Method(method) else { throw Malformed(reason: "invalid :method") }
        var request = HTTPRequest(method: requestMethod, scheme: scheme, authority: authority, path: path)
        if let extendedConnectProtocol { request.extendedConnectProtocol = extendedConnectProtocol }
        request.headerFields.reserveCapacity(block.count)
        while index != block.endIndex {
            let (name, value, _) = block[index]
            guard name.utf8.first != UInt8(ascii: ":") else {
                throw Malformed(reason: "pseudo-header field \(name) after a regular one")
            }
            if let fieldName = HTTPField.Name(name) {
                request.headerFields.append(HTTPField(name: fieldName, value: value))
            }
            index = block.index(after: index)
        }
        return request
    }

    /// The trailer fields of `block`.
    static func trailers(_ block: HPACKHeaders) throws(Malformed) -> HTTPFields {
        var fields = HTTPFields()
        fields.reserveCapacity(block.count)
        for (name, value, _) in block {
            guard name.utf8.first != UInt8(ascii: ":") else {
                throw Malformed(reason: "pseudo-header field \(name) in trailers")
            }
            if let fieldName = HTTPField.Name(name) { fields.append(HTTPField(name: fieldName, value: value)) }
        }
        return fields
    }

    private static func set(_ slot: inout String?, _ value: String, _ name: String) throws(Malformed) {
        guard slot == nil else { throw Malformed(reason: "repeated \(name)") }
        slot = value
    }
}
