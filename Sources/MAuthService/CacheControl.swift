import Foundation

/// The `Cache-Control` header of a MAuth service's answer.
enum CacheControl {
    /// Whether a `Cache-Control` header forbids keeping the answer: `no-store`, or `no-cache`,
    /// which allows keeping it only to check it with the service before each use.
    static func forbidsKeeping(_ values: [String]) -> Bool {
        values.contains { value in
            value.split(separator: ",").contains { directive in
                let name = directive.trimmingCharacters(in: .whitespaces).lowercased()
                return name == "no-store" || name == "no-cache"
            }
        }
    }

    /// The `max-age` directive of a `Cache-Control` header, wherever it stands in the list, in
    /// its plain or quoted form; a number too large to hold counts as the largest there is.
    static func maxAge(in values: [String]) -> Int? {
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
