/// Cuts a fuzzer's bytes into the pieces a check needs, so that every input means something.
package struct FuzzInput {
    private var rest: ArraySlice<UInt8>

    package init(_ bytes: [UInt8]) {
        rest = bytes[...]
    }

    /// The next byte, or 0 once the input is used up.
    package mutating func byte() -> UInt8 {
        rest.popFirst() ?? 0
    }

    /// The bytes up to the next 0 byte (which is consumed), or all that is left.
    package mutating func field() -> [UInt8] {
        guard let end = rest.firstIndex(of: 0) else {
            defer { rest = rest[rest.endIndex...] }
            return Array(rest)
        }
        defer { rest = rest[(end + 1)...] }
        return Array(rest[..<end])
    }

    /// ``field()`` as text, invalid UTF-8 repaired.
    package mutating func text() -> String {
        String(decoding: field(), as: UTF8.self)
    }

    /// Everything left.
    package mutating func remainder() -> [UInt8] {
        defer { rest = rest[rest.endIndex...] }
        return Array(rest)
    }
}
