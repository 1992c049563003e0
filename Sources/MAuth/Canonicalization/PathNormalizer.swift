/// V2 path normalization (PROTOCOL.md §4.1), on raw, still percent-encoded bytes.
enum PathNormalizer {
    /// The normalized path every reference except Ruby produces: empty and `.` segments
    /// dropped, `..` segments climb (never above the root), trailing slash kept, and
    /// percent-escapes written with lower-case hex digits upper-cased.
    static func normalize(_ path: some Collection<UInt8>) -> [UInt8] {
        var kept: [ArraySlice<UInt8>] = []
        let bytes = Array(path)
        for segment in bytes.split(separator: slash, omittingEmptySubsequences: true) {
            if isDot(segment) {
                continue
            } else if isDotDot(segment) {
                _ = kept.popLast()
            } else {
                kept.append(segment)
            }
        }
        return finish(kept, input: bytes)
    }

    /// Ruby's form: dot segments are removed first, with empty segments counting as segments
    /// (RFC 3986 §5.2.4), and repeated slashes are collapsed afterwards. It differs from
    /// ``normalize(_:)`` only when the path has both `//` and a `..` segment.
    static func normalizeDotSegmentsFirst(_ path: some Collection<UInt8>) -> [UInt8] {
        var kept: [ArraySlice<UInt8>] = []
        let bytes = Array(path)
        let segments = bytes.split(separator: slash, omittingEmptySubsequences: false).dropFirst()
        for segment in segments {
            if isDot(segment) {
                continue
            } else if isDotDot(segment) {
                _ = kept.popLast()
            } else {
                kept.append(segment)
            }
        }
        return finish(kept.filter { !$0.isEmpty }, input: bytes)
    }

    /// Whether ``normalizeDotSegmentsFirst(_:)`` can differ from ``normalize(_:)``.
    static func hasRubyVariant(_ path: some Collection<UInt8>) -> Bool {
        let bytes = Array(path)
        let hasDoubleSlash = zip(bytes, bytes.dropFirst()).contains { $0 == slash && $1 == slash }
        return hasDoubleSlash && bytes.split(separator: slash).contains(where: isDotDot)
    }

    private static let slash = UInt8(ascii: "/")
    private static let dot = UInt8(ascii: ".")

    private static func isDot(_ segment: ArraySlice<UInt8>) -> Bool {
        segment.count == 1 && segment.first == dot
    }

    private static func isDotDot(_ segment: ArraySlice<UInt8>) -> Bool {
        segment.count == 2 && segment.first == dot && segment.last == dot
    }

    private static func finish(_ kept: [ArraySlice<UInt8>], input: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(input.count + 1)
        for segment in kept {
            output.append(slash)
            output.append(contentsOf: segment)
        }
        if output.isEmpty {
            output.append(slash)
        } else if endsWithSlashOrDotSegment(input) {
            output.append(slash)
        }
        uppercaseLowercaseEscapes(&output)
        return output
    }

    private static func endsWithSlashOrDotSegment(_ input: [UInt8]) -> Bool {
        guard let lastSlash = input.lastIndex(of: slash) else { return false }
        let tail = input[(lastSlash + 1)...]
        return tail.isEmpty || isDot(tail) || isDotDot(tail)
    }

    /// Upper-cases `%xx` where both characters are in `[0-9a-f]`; mixed-case escapes such as
    /// `%cF` are left alone, as every other MAuth client does.
    private static func uppercaseLowercaseEscapes(_ bytes: inout [UInt8]) {
        var index = 0
        while index + 2 < bytes.count {
            if bytes[index] == UInt8(ascii: "%"), isLowerHex(bytes[index + 1]), isLowerHex(bytes[index + 2]) {
                bytes[index + 1] = upper(bytes[index + 1])
                bytes[index + 2] = upper(bytes[index + 2])
                index += 3
            } else {
                index += 1
            }
        }
    }

    private static func isLowerHex(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
    }

    private static func upper(_ byte: UInt8) -> UInt8 {
        (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte) ? byte - 32 : byte
    }
}
