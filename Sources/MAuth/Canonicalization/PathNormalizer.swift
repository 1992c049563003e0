/// V2 path normalization (PROTOCOL.md §4.1), on raw, still percent-encoded bytes.
package enum PathNormalizer {
    /// The normalized path every reference except Ruby produces: empty and `.` segments
    /// dropped, `..` segments climb (never above the root), trailing slash kept, and
    /// percent-escapes written with lower-case hex digits upper-cased.
    package static func normalize(_ path: some Collection<UInt8>) -> [UInt8] {
        path.withContiguousBytes { bytes in
            finish(segments(of: bytes, emptySegmentsCount: false), of: bytes)
        }
    }

    /// Ruby's form: dot segments are removed first, with empty segments counting as segments
    /// (RFC 3986 §5.2.4), and repeated slashes are collapsed afterwards. It differs from
    /// ``normalize(_:)`` only when the path has both `//` and a `..` segment.
    static func normalizeDotSegmentsFirst(_ path: some Collection<UInt8>) -> [UInt8] {
        path.withContiguousBytes { bytes in
            finish(segments(of: bytes, emptySegmentsCount: true).filter { !$0.isEmpty }, of: bytes)
        }
    }

    /// Whether ``normalizeDotSegmentsFirst(_:)`` can differ from ``normalize(_:)``.
    static func hasRubyVariant(_ path: some Collection<UInt8>) -> Bool {
        path.withContiguousBytes { bytes in
            let hasDoubleSlash = zip(bytes, bytes.dropFirst()).contains { $0 == slash && $1 == slash }
            return hasDoubleSlash && split(bytes).contains { isDotDot(bytes, $0) }
        }
    }

    private static let slash = UInt8(ascii: "/")
    private static let dot = UInt8(ascii: ".")
    private static let percent = UInt8(ascii: "%")

    /// The ranges of the segments between slashes, after the leading slash.
    private static func split(_ bytes: UnsafeRawBufferPointer) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        ranges.reserveCapacity(8)
        var start = bytes.first == slash ? 1 : 0
        for index in start..<bytes.count where bytes[index] == slash {
            ranges.append(start..<index)
            start = index + 1
        }
        ranges.append(start..<bytes.count)
        return ranges
    }

    /// The kept segments after `.` and `..` are applied, with or without empty segments taking
    /// part.
    private static func segments(of bytes: UnsafeRawBufferPointer, emptySegmentsCount: Bool) -> [Range<Int>] {
        var kept: [Range<Int>] = []
        kept.reserveCapacity(8)
        for segment in split(bytes) where emptySegmentsCount || !segment.isEmpty {
            if isDot(bytes, segment) {
                continue
            } else if isDotDot(bytes, segment) {
                _ = kept.popLast()
            } else {
                kept.append(segment)
            }
        }
        return kept
    }

    private static func isDot(_ bytes: UnsafeRawBufferPointer, _ segment: Range<Int>) -> Bool {
        segment.count == 1 && bytes[segment.lowerBound] == dot
    }

    private static func isDotDot(_ bytes: UnsafeRawBufferPointer, _ segment: Range<Int>) -> Bool {
        segment.count == 2 && bytes[segment.lowerBound] == dot && bytes[segment.lowerBound + 1] == dot
    }

    private static func finish(_ kept: [Range<Int>], of bytes: UnsafeRawBufferPointer) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count + 1)
        for segment in kept {
            output.append(slash)
            output.append(contentsOf: bytes[segment])
        }
        if output.isEmpty {
            output.append(slash)
        } else if endsWithSlashOrDotSegment(bytes) {
            output.append(slash)
        }
        uppercaseLowercaseEscapes(&output)
        return output
    }

    private static func endsWithSlashOrDotSegment(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let lastSlash = bytes.lastIndex(of: slash) else { return false }
        let tail = (lastSlash + 1)..<bytes.count
        return tail.isEmpty || isDot(bytes, tail) || isDotDot(bytes, tail)
    }

    /// Upper-cases `%xx` where both characters are in `[0-9a-f]`; mixed-case escapes such as
    /// `%cF` are left alone, as every other MAuth client does.
    private static func uppercaseLowercaseEscapes(_ bytes: inout [UInt8]) {
        var index = 0
        while index + 2 < bytes.count {
            if bytes[index] == percent, isLowerHex(bytes[index + 1]), isLowerHex(bytes[index + 2]) {
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
