/// The parts of an authentication header value (PROTOCOL.md §2.3, "Swift rule").
struct AuthenticationHeaderValue {
    let token: Substring
    let appUUID: Substring
    let signature: Substring

    /// Parses a header value for `version`, or throws the inauthentic error that explains why it
    /// does not parse.
    static func parse(_ rawValue: String, version: MAuthVersion) throws(MAuthError) -> AuthenticationHeaderValue {
        let value = rawValue.trimmingASCIIWhitespace()
        let parsed = version == .v1 ? parseV1(value) : parseV2(value)
        guard let parsed else {
            let form = version == .v1 ? "MWS <app_uuid>:<signature>" : "MWSV2 <app_uuid>:<signature>;"
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

    /// Token (1+ non-space characters), optional spaces, app UUID (1+ characters, no `:`), `:`,
    /// signature (1+ characters, no `:`), and nothing else. Like the reference regular
    /// expression, a value with no space gives the app UUID at least one character.
    private static func parseV1(_ value: Substring) -> AuthenticationHeaderValue? {
        guard let colon = value.firstIndex(of: ":") else { return nil }
        let signature = value[value.index(after: colon)...]
        guard !signature.isEmpty, !signature.contains(":") else { return nil }
        let head = value[..<colon]
        let token: Substring
        let appUUID: Substring
        if let space = head.firstIndex(of: " ") {
            token = head[..<space]
            appUUID = head[space...].drop(while: { $0 == " " })
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
    private static func parseV2(_ value: Substring) -> AuthenticationHeaderValue? {
        guard let space = value.firstIndex(of: " ") else { return nil }
        let token = value[..<space]
        let rest = value[value.index(after: space)...]
        guard rest.hasSuffix(";"), let colon = rest.firstIndex(of: ":") else { return nil }
        let appUUID = rest[..<colon]
        let signature = rest[rest.index(after: colon)...].dropLast()
        guard !token.isEmpty, !appUUID.isEmpty, !signature.isEmpty,
            !signature.contains(":"), !signature.contains(";")
        else { return nil }
        return AuthenticationHeaderValue(token: token, appUUID: appUUID, signature: signature)
    }
}
