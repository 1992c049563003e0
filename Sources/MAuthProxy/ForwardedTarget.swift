import Foundation

/// The checks a raw request target passes before a proxy forwards it.
///
/// The upstream must receive exactly the bytes that were signed or authenticated, and no path
/// that climbs out of its route (or out of an exempt path) once the upstream decodes it: an
/// upstream may decode `%2F` into a separator, resolve `..` after decoding, or drop a `;`
/// parameter first (servlet containers turn `..;/` into `../`).
enum ForwardedTarget {
    /// Why the raw `path` may not be forwarded, as the sentence a 400 answers with; `nil` when it
    /// may.
    static func refusal(ofPath path: Substring) -> String? {
        for segment in path.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false) {
            // Most segments have no escape, no parameter and no dot to look at.
            if !segment.contains(where: {
                $0 == UInt8(ascii: "%") || $0 == UInt8(ascii: ";") || $0 == UInt8(ascii: "\\")
            }),
                segment.first != UInt8(ascii: ".")
            {
                continue
            }
            guard let decoded = percentDecoded(segment) else {
                return "A proxied path may not have a malformed percent-escape."
            }
            guard String(validating: decoded, as: UTF8.self) != nil else {
                return "A proxied path's percent-escapes must spell UTF-8 characters."
            }
            if decoded.contains(UInt8(ascii: "/")) || decoded.contains(UInt8(ascii: "\\")) {
                return "A proxied path may not have an encoded '/' or a '\\'."
            }
            if decoded.contains(0) {
                return "A proxied path may not have an encoded NUL."
            }
            if hasEscape(of: [UInt8(ascii: "."), UInt8(ascii: "/"), UInt8(ascii: "\\")], in: decoded) {
                // Encoded twice: an upstream that decodes again would find a separator or a dot.
                return "A proxied path may not have a doubly encoded '.', '/' or '\\'."
            }
            // Some servers also drop trailing spaces and dots from a name before they resolve it.
            var name = decoded.prefix { $0 != UInt8(ascii: ";") }
            while name.last == UInt8(ascii: " ") { name = name.dropLast() }
            if !name.isEmpty, name.allSatisfy({ $0 == UInt8(ascii: ".") }) {
                return "A proxied path may not have '.' or '..' segments, spelled out, encoded or with a ';' parameter."
            }
        }
        return nil
    }

    /// Whether `bytes` hold a percent-escape of one of `characters`, in either case.
    private static func hasEscape(of characters: [UInt8], in bytes: [UInt8]) -> Bool {
        var index = bytes.startIndex
        while let percent = bytes[index...].firstIndex(of: UInt8(ascii: "%")) {
            let high = percent + 1
            let low = percent + 2
            guard low < bytes.endIndex else { return false }
            if let highValue = hexValue(bytes[high]), let lowValue = hexValue(bytes[low]),
                characters.contains(highValue << 4 | lowValue)
            {
                return true
            }
            index = high
        }
        return false
    }

    /// The URL to hand AsyncHTTPClient for `target` below `origin` and `basePath`, when the
    /// request target it sends from that URL is `basePath + target` byte for byte; `nil` when it
    /// would send anything else.
    ///
    /// AsyncHTTPClient parses the URL with Foundation and sends its percent-encoded path, or `/`
    /// when the decoded path is empty, then `?` and the query: a path whose escapes are not UTF-8
    /// would go out as `/`, and characters Foundation re-encodes would no longer match the
    /// signature. This is the same computation, so such a target is refused instead.
    static func exactURL(origin: String, basePath: String, target: String) -> String? {
        let url = origin + basePath + target
        guard let parsed = URL(string: url) else { return nil }
        var sent =
            parsed.path.isEmpty
            ? "/" : URLComponents(url: parsed, resolvingAgainstBaseURL: true)?.percentEncodedPath ?? parsed.path
        if let query = parsed.query { sent += "?" + query }
        return sent == basePath + target ? url : nil
    }

    /// The bytes `segment` spells once its percent-escapes are decoded; `nil` for an escape that
    /// is not `%` and two hexadecimal digits.
    private static func percentDecoded(_ segment: Substring.UTF8View.SubSequence) -> [UInt8]? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(segment.count)
        var index = segment.startIndex
        while index < segment.endIndex {
            let byte = segment[index]
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                index = segment.index(after: index)
                continue
            }
            let high = segment.index(after: index)
            guard high < segment.endIndex, let highValue = hexValue(segment[high]) else { return nil }
            let low = segment.index(after: high)
            guard low < segment.endIndex, let lowValue = hexValue(segment[low]) else { return nil }
            bytes.append(highValue << 4 | lowValue)
            index = segment.index(after: low)
        }
        return bytes
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
