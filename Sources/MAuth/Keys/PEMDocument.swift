/// One PEM block: its label (`RSA PRIVATE KEY`, `PUBLIC KEY`, …) and the text of its body.
///
/// Parsing checks the structure itself so that a wrong or garbled key is reported as what it is
/// (no BEGIN line, no END line, bad Base64) instead of as an OpenSSL error code.
struct PEMDocument {
    let label: String
    /// The body as Base64 lines of at most 64 characters.
    let bodyLines: [Substring]

    /// The block re-written in canonical form: BEGIN line, 64-column body, END line.
    var text: String {
        "-----BEGIN \(label)-----\n" + bodyLines.joined(separator: "\n") + "\n-----END \(label)-----\n"
    }

    /// Parses the first PEM block of `text`, after repairing newlines lost in environment
    /// variables (see ``repair(_:)``).
    init(parsing rawText: String, expecting kind: String) throws(MAuthError) {
        guard rawText.utf8.count <= KeyText.largestSize else {
            throw MAuthError(.invalidKey, "the \(kind) is over \(KeyText.largestSize / 1024) KiB, too large for a key")
        }
        let text = Self.repair(rawText)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: true).map {
            $0.trimmingASCIIWhitespace()
        }
        guard let beginIndex = lines.firstIndex(where: { $0.hasPrefix("-----BEGIN ") }) else {
            throw MAuthError(.invalidKey, "the \(kind) is not PEM text: no '-----BEGIN ...-----' line was found")
        }
        let beginLine = lines[beginIndex]
        guard beginLine.hasSuffix("-----"), beginLine.count > "-----BEGIN ----------".count - 1 else {
            throw MAuthError(.invalidKey, "the \(kind) has a malformed BEGIN line: '\(beginLine)'")
        }
        let label = String(beginLine.dropFirst("-----BEGIN ".count).dropLast("-----".count))
        let endLine = "-----END \(label)-----"
        guard let endIndex = lines[(beginIndex + 1)...].firstIndex(where: { $0 == endLine }) else {
            throw MAuthError(
                .invalidKey,
                "the \(kind) is truncated: the '-----BEGIN \(label)-----' block has no '\(endLine)' line"
            )
        }
        let body = lines[(beginIndex + 1)..<endIndex]
        if body.contains(where: { $0.contains(":") }) {
            throw MAuthError(
                .invalidKey, "the \(kind) is encrypted or has PEM headers; only unencrypted keys are supported")
        }
        let base64 = body.joined()
        guard !base64.isEmpty else {
            throw MAuthError(.invalidKey, "the \(kind) has an empty '\(label)' block")
        }
        guard Base64.decode(Array(base64.utf8)) != nil else {
            throw MAuthError(.invalidKey, "the \(kind) body is not valid Base64 (garbled or truncated key text)")
        }
        self.label = label
        self.bodyLines = Self.wrap(Substring(base64))
    }

    /// Restores the line breaks of a PEM key that was squeezed onto one line, as happens when a
    /// key is pasted into an environment variable.
    ///
    /// Literal `\n` and `\r\n` escapes become newlines; if the text still has no newline, the body
    /// is split on whitespace when it has any, otherwise cut into 64-character lines. Whichever
    /// BEGIN/END labels are present are kept. Text that already has newlines is left as it is.
    static func repair(_ text: String) -> String {
        let unescaped = text.replacing("\\r\\n", with: "\n").replacing("\\n", with: "\n")
            .replacing("\\r", with: "\n").replacing("\r\n", with: "\n").replacing("\r", with: "\n")
        let trimmed = unescaped.trimmingASCIIWhitespace()
        guard !trimmed.contains("\n"), let begin = trimmed.firstRange(of: "-----BEGIN "),
            let labelEnd = trimmed[begin.upperBound...].firstRange(of: "-----")
        else {
            return unescaped
        }
        let label = trimmed[begin.upperBound..<labelEnd.lowerBound]
        let footer = "-----END \(label)-----"
        let bodyStart = labelEnd.upperBound
        let bodyEnd = trimmed[bodyStart...].firstRange(of: footer)?.lowerBound ?? trimmed.endIndex
        let body = trimmed[bodyStart..<bodyEnd].trimmingASCIIWhitespace()
        let lines: [Substring] =
            body.contains(where: \.isWhitespace)
            ? body.split(whereSeparator: \.isWhitespace) : wrap(body)
        let hasFooter = bodyEnd != trimmed.endIndex
        return "-----BEGIN \(label)-----\n" + lines.joined(separator: "\n") + "\n" + (hasFooter ? footer + "\n" : "")
    }

    private static func wrap(_ body: Substring) -> [Substring] {
        var lines: [Substring] = []
        var start = body.startIndex
        while start < body.endIndex {
            let end = body.index(start, offsetBy: 64, limitedBy: body.endIndex) ?? body.endIndex
            lines.append(body[start..<end])
            start = end
        }
        return lines
    }
}

extension StringProtocol {
    func trimmingASCIIWhitespace() -> Substring {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        let string = Substring(self)
        guard let first = string.firstIndex(where: { !isSpace($0) }) else { return string[string.endIndex...] }
        let last = string.lastIndex(where: { !isSpace($0) })!
        return string[first...last]
    }
}
