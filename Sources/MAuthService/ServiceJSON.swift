import Foundation

/// Reading the MAuth service's JSON documents.
enum ServiceJSON {
    /// `security_token.public_key_str` of a security-token document.
    static func publicKeyText(in body: String) -> String? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any],
            let token = object["security_token"] as? [String: Any]
        else { return nil }
        return token["public_key_str"] as? String
    }

    /// The `max-age` directive of a `Cache-Control` header, wherever it stands in the list, in
    /// its plain or quoted form; a number too large to hold counts as the largest there is.
    static func maxAge(inCacheControl values: [String]) -> Int? {
        for value in values {
            for directive in value.split(separator: ",") {
                let parts = directive.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
                guard parts.count == 2, parts[0].lowercased() == "max-age" else { continue }
                var digits = parts[1].trimmingCharacters(in: .whitespaces)
                if digits.count >= 2, digits.hasPrefix("\""), digits.hasSuffix("\"") {
                    digits = String(digits.dropFirst().dropLast())
                }
                guard !digits.isEmpty, digits.allSatisfy(\.isASCIIDigit) else { continue }
                return Int(digits) ?? Int.max
            }
        }
        return nil
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
