import HTTPTypes

/// Why one signature of a request does or does not match it, found by opening the signature with
/// the signer's public key (see ``MAuthSignatureExplainer``).
///
/// Its ``description`` is a report for a developer: never send it to the caller, who may not be
/// the app it claims to be.
public struct MAuthSignatureExplanation: Sendable, Equatable, CustomStringConvertible {
    /// What opening the signature showed.
    public enum Finding: Sendable, Equatable {
        /// Made with this app's key over the string to sign this library builds for the request.
        case matchesExpected
        /// The signature's padding does not open with this app's public key: it was made with
        /// another key, or the header names the wrong app UUID.
        case notMadeWithThisKey
        /// Made with this app's key over another string, which is recognized: the associated
        /// text says how it differs from the expected one, such as "the percent-decoded path".
        case madeOverDifferentString(String)
        /// Made with this app's key over a string that no known client variant builds.
        case noCandidateMatches
    }

    /// The version whose headers carried the signature.
    public let version: MAuthProtocolVersion
    /// The app UUID named by the authentication header.
    public let appUUID: String
    /// What opening the signature showed.
    public let finding: Finding
    /// The string to sign this library builds for the request.
    public let expectedStringToSign: [UInt8]
    /// The string the signature was made over, when it was found.
    public let signedStringToSign: [UInt8]?
    /// The version whose layout ``signedStringToSign`` has; it differs from ``version`` when a
    /// client put one version's signature in the other version's header.
    public let signedVersion: MAuthProtocolVersion

    /// Creates an explanation.
    public init(
        version: MAuthProtocolVersion,
        appUUID: String,
        finding: Finding,
        expectedStringToSign: [UInt8],
        signedStringToSign: [UInt8]?,
        signedVersion: MAuthProtocolVersion
    ) {
        self.version = version
        self.appUUID = appUUID
        self.finding = finding
        self.expectedStringToSign = expectedStringToSign
        self.signedStringToSign = signedStringToSign
        self.signedVersion = signedVersion
    }

    /// The report: what was found, then the strings to sign in ``layout(of:version:)``.
    public var description: String {
        var lines = ["\(version) signature (\(version.authenticationHeader.rawName)) of app \(appUUID):"]
        switch finding {
        case .matchesExpected:
            lines.append("  made with this app's key over the expected string to sign")
        case .notMadeWithThisKey:
            lines.append(
                "  not made with this app's key: the signature does not open with its public key "
                    + "(another key signed it, or the header names the wrong app UUID)")
        case .madeOverDifferentString(let difference):
            lines.append("  made with this app's key over a different string to sign: \(difference)")
        case .noCandidateMatches:
            lines.append(
                "  made with this app's key over a string to sign that no known client builds; "
                    + "compare the expected one with the client's own")
        }
        if let signedStringToSign, finding != .matchesExpected {
            lines.append("  signed:")
            lines += Self.layout(of: signedStringToSign, version: signedVersion).map { "    " + $0 }
        }
        lines.append("  expected:")
        lines += Self.layout(of: expectedStringToSign, version: version).map { "    " + $0 }
        return lines.joined(separator: "\n")
    }

    /// A request's string to sign as labelled lines, one per field, with the body shown as its
    /// size and SHA-512 digest: the layout `mauth verify --explain` and `mauth request --explain`
    /// print.
    public static func layout(of stringToSign: [UInt8], version: MAuthProtocolVersion) -> [String] {
        let fields = stringToSign.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        func text(_ field: ArraySlice<UInt8>) -> String { String(decoding: field, as: UTF8.self) }
        if version == .v2, fields.count == 6 {
            return [
                "method  \(text(fields[0]))",
                "path    \(text(fields[1]))",
                "body    SHA-512 \(text(fields[2]))",
                "app     \(text(fields[3]))",
                "time    \(text(fields[4]))",
                "query   \(text(fields[5]))",
            ]
        }
        guard version == .v1, fields.count >= 5 else { return [text(stringToSign[...])] }
        // The body is the only field that may hold line feeds: everything between the path and
        // the last two fields.
        let bodyStart = fields[0].count + fields[1].count + 2
        let bodyEnd = stringToSign.count - fields[fields.count - 1].count - fields[fields.count - 2].count - 2
        let body = stringToSign[bodyStart..<bodyEnd]
        let bodyLine =
            body.isEmpty
            ? "(empty)" : "\(body.count) bytes, SHA-512 \(text(SHA512.hexDigest(of: body)[...]))"
        return [
            "method  \(text(fields[0]))",
            "path    \(text(fields[1]))",
            "body    \(bodyLine)",
            "app     \(text(fields[fields.count - 2]))",
            "time    \(text(fields[fields.count - 1]))",
        ]
    }
}
