/// Decoded query parameters: every key and value decoded into one buffer, addressed by ranges.
struct DecodedQuery {
    struct Parameter {
        var key: Range<Int>
        var value: Range<Int>
    }

    private(set) var bytes: [UInt8]
    private(set) var parameters: [Parameter]

    private init(bytes: [UInt8], parameters: [Parameter]) {
        self.bytes = bytes
        self.parameters = parameters
    }

    /// Splits each piece at its first `=` (no `=`: empty value) and decodes key and value.
    init(pieces: [Range<Int>], of query: UnsafeRawBufferPointer) {
        var parameters: [Parameter] = []
        parameters.reserveCapacity(pieces.count)
        // Decoding never lengthens the text, so the query's size bounds the buffer.
        bytes = [UInt8](unsharedCapacity: query.count) { output, written in
            written = 0
            for piece in pieces {
                let separator = query[piece].firstIndex(of: UInt8(ascii: "=")) ?? piece.upperBound
                let key = Self.decode(query[piece.lowerBound..<separator], into: output, at: &written)
                let valueStart = min(separator + 1, piece.upperBound)
                let value = Self.decode(query[valueStart..<piece.upperBound], into: output, at: &written)
                parameters.append(Parameter(key: key, value: value))
            }
        }
        self.parameters = parameters
    }

    /// Sorted by key, then by value, comparing bytes.
    func sorted() -> DecodedQuery {
        let sortedParameters = bytes.withUnsafeBufferPointer { buffer in
            parameters.sorted { lhs, rhs in
                let keyOrder = Self.compare(buffer[lhs.key], buffer[rhs.key])
                return keyOrder != 0 ? keyOrder < 0 : Self.compare(buffer[lhs.value], buffer[rhs.value]) < 0
            }
        }
        return DecodedQuery(bytes: bytes, parameters: sortedParameters)
    }

    /// `key=value` pairs joined by `&`, every byte outside the unreserved set percent-encoded.
    func encoded(keepingSlash: Bool) -> [UInt8] {
        let kept = keepingSlash ? Self.unreservedOrSlash : Self.unreserved
        let digits = PercentEncoding.upperHexDigits
        return bytes.withUnsafeBufferPointer { buffer in
            let escapes = buffer.reduce(0) { $0 + (kept[Int($1)] ? 0 : 1) }
            let separators = parameters.isEmpty ? 0 : 2 * parameters.count - 1
            let length = buffer.count + 2 * escapes + separators
            return [UInt8](unsharedCapacity: length) { output, written in
                written = 0
                for (index, parameter) in parameters.enumerated() {
                    if index > 0 {
                        output[written] = UInt8(ascii: "&")
                        written += 1
                    }
                    Self.percentEncode(buffer[parameter.key], into: output, at: &written, kept: kept, digits: digits)
                    output[written] = UInt8(ascii: "=")
                    written += 1
                    Self.percentEncode(buffer[parameter.value], into: output, at: &written, kept: kept, digits: digits)
                }
            }
        }
    }

    /// What Python and the JVM decode to: invalid UTF-8 sequences become U+FFFD. `nil` when every
    /// key and value is valid UTF-8.
    func replacingInvalidUTF8() -> DecodedQuery? {
        var replacedAny = false
        var replaced = DecodedQuery(bytes: [], parameters: [])
        for parameter in parameters {
            var ranges: [Range<Int>] = []
            for range in [parameter.key, parameter.value] {
                let original = bytes[range]
                let repaired = Array(String(decoding: original, as: UTF8.self).utf8)
                replacedAny = replacedAny || !repaired.elementsEqual(original)
                let start = replaced.bytes.count
                replaced.bytes.append(contentsOf: repaired)
                ranges.append(start..<replaced.bytes.count)
            }
            replaced.parameters.append(Parameter(key: ranges[0], value: ranges[1]))
        }
        return replacedAny ? replaced : nil
    }

    /// Writes the decoded form of `text` (`+` is a space, `%XX` of either case a byte, a stray
    /// `%` itself) at `position` and returns where it landed.
    private static func decode(
        _ text: UnsafeRawBufferPointer.SubSequence,
        into output: UnsafeMutableBufferPointer<UInt8>,
        at position: inout Int
    ) -> Range<Int> {
        let start = position
        var index = text.startIndex
        while index < text.endIndex {
            let byte = text[index]
            if byte == UInt8(ascii: "%"), index + 2 < text.endIndex,
                let high = PercentEncoding.hexValue(text[index + 1]),
                let low = PercentEncoding.hexValue(text[index + 2])
            {
                output[position] = high << 4 | low
                index += 3
            } else {
                output[position] = byte == UInt8(ascii: "+") ? UInt8(ascii: " ") : byte
                index += 1
            }
            position += 1
        }
        return start..<position
    }

    private static func compare(_ lhs: Slice<UnsafeBufferPointer<UInt8>>, _ rhs: Slice<UnsafeBufferPointer<UInt8>>)
        -> Int
    {
        for (left, right) in zip(lhs, rhs) where left != right {
            return left < right ? -1 : 1
        }
        return lhs.count - rhs.count
    }

    /// Bytes written as they are: `A-Z a-z 0-9 - . _ ~`.
    private static let unreserved: [Bool] = {
        var table = [Bool](repeating: false, count: 256)
        for byte in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~".utf8 {
            table[Int(byte)] = true
        }
        return table
    }()

    /// The Python client's set: the unreserved bytes and `/`.
    private static let unreservedOrSlash: [Bool] = {
        var table = unreserved
        table[Int(UInt8(ascii: "/"))] = true
        return table
    }()

    private static func percentEncode(
        _ bytes: Slice<UnsafeBufferPointer<UInt8>>,
        into output: UnsafeMutableBufferPointer<UInt8>,
        at position: inout Int,
        kept: [Bool],
        digits: [UInt8]
    ) {
        for byte in bytes {
            if kept[Int(byte)] {
                output[position] = byte
                position += 1
            } else {
                output[position] = UInt8(ascii: "%")
                output[position + 1] = digits[Int(byte >> 4)]
                output[position + 2] = digits[Int(byte & 0x0F)]
                position += 3
            }
        }
    }
}
