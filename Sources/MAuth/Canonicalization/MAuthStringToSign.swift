/// Builds the exact bytes that MAuth signs (PROTOCOL.md §3).
///
/// Fields are joined with single LF bytes:
///
/// | message | V1 | V2 |
/// |---|---|---|
/// | request | verb, raw path, raw body, app UUID, time | verb, normalized path, body SHA-512 hex, app UUID, time, canonical query |
/// | response | status, raw body, app UUID, time | status, body SHA-512 hex, app UUID, time |
public enum MAuthStringToSign {
    /// The string to sign for a request.
    ///
    /// - Parameters:
    ///   - version: the protocol version.
    ///   - method: the HTTP method as sent, such as `GET`.
    ///   - target: the raw request target (path and query) as sent on the wire.
    ///   - body: the body bytes as sent; empty when there is no body.
    ///   - appUUID: the signer's app UUID, spelled as in the authentication header.
    ///   - time: the decimal time string, as in the time header.
    public static func request(
        version: MAuthProtocolVersion,
        method: String,
        target: MAuthRequestTarget,
        body: some Collection<UInt8>,
        appUUID: String,
        time: String
    ) -> [UInt8] {
        body.withContiguousBytes { body in
            if version == .v1 {
                return v1(head: [method, target.path], body: body, appUUID: appUUID, time: time)
            }
            return v2Request(
                method: method,
                normalizedPath: PathNormalizer.normalize(target.path.utf8),
                bodyDigest: SHA512.hexDigest(body),
                appUUID: appUUID,
                time: time,
                canonicalQuery: QueryCanonicalizer.canonicalize(target.query.utf8)
            )
        }
    }

    /// The string to sign for a response.
    public static func response(
        version: MAuthProtocolVersion,
        status: Int,
        body: some Collection<UInt8>,
        appUUID: String,
        time: String
    ) -> [UInt8] {
        body.withContiguousBytes { body in
            if version == .v1 {
                return v1(head: [String(status)], body: body, appUUID: appUUID, time: time)
            }
            return v2Response(status: status, bodyDigest: SHA512.hexDigest(body), appUUID: appUUID, time: time)
        }
    }

    static func v1(head: [String], body: UnsafeRawBufferPointer, appUUID: String, time: String) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(
            head.reduce(0) { $0 + $1.utf8.count + 1 } + body.count + appUUID.utf8.count + time.utf8.count + 2)
        for field in head {
            output.append(contentsOf: field.utf8)
            output.append(lineFeed)
        }
        output.append(contentsOf: body)
        output.append(lineFeed)
        output.append(contentsOf: appUUID.utf8)
        output.append(lineFeed)
        output.append(contentsOf: time.utf8)
        return output
    }

    static func v2Request(
        method: String,
        normalizedPath: [UInt8],
        bodyDigest: [UInt8],
        appUUID: String,
        time: String,
        canonicalQuery: [UInt8]
    ) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(
            method.utf8.count + normalizedPath.count + bodyDigest.count + appUUID.utf8.count + time.utf8.count
                + canonicalQuery.count + 5
        )
        output.append(contentsOf: method.utf8)
        output.append(lineFeed)
        output.append(contentsOf: normalizedPath)
        output.append(lineFeed)
        output.append(contentsOf: bodyDigest)
        output.append(lineFeed)
        output.append(contentsOf: appUUID.utf8)
        output.append(lineFeed)
        output.append(contentsOf: time.utf8)
        output.append(lineFeed)
        output.append(contentsOf: canonicalQuery)
        return output
    }

    static func v2Response(status: Int, bodyDigest: [UInt8], appUUID: String, time: String) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(bodyDigest.count + appUUID.utf8.count + time.utf8.count + 8)
        output.append(contentsOf: String(status).utf8)
        output.append(lineFeed)
        output.append(contentsOf: bodyDigest)
        output.append(lineFeed)
        output.append(contentsOf: appUUID.utf8)
        output.append(lineFeed)
        output.append(contentsOf: time.utf8)
        return output
    }

    private static let lineFeed = UInt8(ascii: "\n")
}
