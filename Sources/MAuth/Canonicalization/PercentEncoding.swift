/// Percent-decoding and -encoding of path bytes, for the forms of a path that a client which
/// decodes or re-encodes it would sign, and the hex digits every escape is made of.
enum PercentEncoding {
    /// Every `%XX` (either case) replaced by its byte; a `%` not followed by two hex digits is kept.
    static func decode(_ bytes: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "%"), index + 2 < bytes.count,
                let high = hexValue(bytes[index + 1]), let low = hexValue(bytes[index + 2])
            {
                output.append(high << 4 | low)
                index += 3
            } else {
                output.append(bytes[index])
                index += 1
            }
        }
        return output
    }

    /// Every byte that RFC 3986 does not allow in a path segment (outside `A-Z a-z 0-9 - . _ ~`,
    /// the sub-delimiters, `:`, `@` and `/`) written as `%XX` with upper-case hex digits.
    static func encode(_ bytes: [UInt8]) -> [UInt8] {
        let digits = upperHexDigits
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        for byte in bytes {
            if isKept(byte) {
                output.append(byte)
            } else {
                output += [UInt8(ascii: "%"), digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]]
            }
        }
        return output
    }

    private static func isKept(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        default:
            "-._~/!$&'()*+,;=:@".utf8.contains(byte)
        }
    }

    /// The hex digits of an escape, upper case, as every client writes them.
    static let upperHexDigits = Array("0123456789ABCDEF".utf8)

    /// The value of a hex digit of either case.
    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
