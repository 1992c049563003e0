import HTTPTypes

/// The parts of an authentication header value (PROTOCOL.md §2.3, "Swift rule").
package struct AuthenticationHeaderValue {
    package let token: String
    package let appUUID: String
    /// The Base64 text of the signature, still encoded.
    package let signature: [UInt8]

    /// Parses a header value for `version`, or throws the inauthentic error that explains why it
    /// does not parse.
    package static func parse(_ rawValue: String, version: MAuthProtocolVersion) throws(MAuthError)
        -> AuthenticationHeaderValue
    {
        var value = String(rawValue.trimmingASCIIWhitespace())
        let parsed = value.withUTF8 { bytes in
            version == .v1 ? parseV1(bytes) : parseV2(bytes)
        }
        guard let parsed else {
            let form = version.authenticationHeaderValue(appUUID: "<app_uuid>", signature: "<signature>")
            throw MAuthError(
                .inauthentic,
                "\(version.authenticationHeader.rawName) header format incorrect; expected '\(form)'."
            )
        }
        guard parsed.token == version.token else {
            let found = version == .v1 ? "; token was \(parsed.token)." : "."
            throw MAuthError(.inauthentic, "Token verification failed. Expected \(version.token)\(found)")
        }
        return parsed
    }

    private typealias Bytes = Slice<UnsafeBufferPointer<UInt8>>

    private static let space = UInt8(ascii: " ")
    private static let colon = UInt8(ascii: ":")
    private static let semicolon = UInt8(ascii: ";")

    private init(token: Bytes, appUUID: Bytes, signature: Bytes) {
        self.token = String(decoding: token, as: UTF8.self)
        self.appUUID = String(decoding: appUUID, as: UTF8.self)
        self.signature = Array(signature)
    }

    /// Token (1+ non-space characters), optional spaces, app UUID (1+ characters, no `:`), `:`,
    /// signature (1+ characters, no `:`), and nothing else. Like the reference regular
    /// expression, a value with no space gives the app UUID at least one character.
    private static func parseV1(_ value: UnsafeBufferPointer<UInt8>) -> AuthenticationHeaderValue? {
        let bytes = value[...]
        guard let colonIndex = bytes.firstIndex(of: colon) else { return nil }
        let signature = bytes[(colonIndex + 1)...]
        guard !signature.isEmpty, !signature.contains(colon) else { return nil }
        let head = bytes[..<colonIndex]
        let token: Bytes
        let appUUID: Bytes
        if let spaceIndex = head.firstIndex(of: space) {
            token = head[..<spaceIndex]
            appUUID = head[spaceIndex...].drop(while: { $0 == space })
        } else {
            guard head.count >= 2 else { return nil }
            token = head.dropLast()
            appUUID = head.suffix(1)
        }
        guard !token.isEmpty, !appUUID.isEmpty else { return nil }
        return AuthenticationHeaderValue(token: token, appUUID: appUUID, signature: signature)
    }

    /// Token, one space, app UUID (no `:`), `:`, signature (no `:` or `;`), `;`, and nothing
    /// else.
    private static func parseV2(_ value: UnsafeBufferPointer<UInt8>) -> AuthenticationHeaderValue? {
        let bytes = value[...]
        guard let spaceIndex = bytes.firstIndex(of: space), bytes.last == semicolon else { return nil }
        let token = bytes[..<spaceIndex]
        let rest = bytes[(spaceIndex + 1)..<(bytes.endIndex - 1)]
        guard let colonIndex = rest.firstIndex(of: colon) else { return nil }
        let appUUID = rest[..<colonIndex]
        let signature = rest[(colonIndex + 1)...]
        guard !token.isEmpty, !appUUID.isEmpty, !signature.isEmpty,
            !signature.contains(where: { $0 == colon || $0 == semicolon })
        else { return nil }
        return AuthenticationHeaderValue(token: token, appUUID: appUUID, signature: signature)
    }
}
