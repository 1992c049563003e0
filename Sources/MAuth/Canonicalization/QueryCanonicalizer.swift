/// V2 query canonicalization (PROTOCOL.md §4.2), on raw bytes.
enum QueryCanonicalizer {
    /// A decoded key/value pair.
    struct Parameter {
        var key: [UInt8]
        var value: [UInt8]
    }

    /// The canonical query: pieces split on `&` (empty pieces kept), each split at its first `=`,
    /// `+` and `%XX` decoded, pairs sorted by key then value comparing bytes, and every byte
    /// outside `A-Z a-z 0-9 - . _ ~` written as `%XX` with upper-case hex digits.
    static func canonicalize(_ query: some Collection<UInt8>) -> [UInt8] {
        encode(sorted(parameters(of: Array(query))), keepSlash: false)
    }

    /// Forms that other MAuth clients produce for the same query (PROTOCOL.md §4.2
    /// disagreements), for an authenticator that accepts any client's signature. Empty when no
    /// client disagrees about this query.
    static func variants(of query: some Collection<UInt8>) -> [[UInt8]] {
        let bytes = Array(query)
        guard !bytes.isEmpty else { return [] }
        let pieces = bytes.split(separator: ampersand, omittingEmptySubsequences: false)
        var parameterSets: [[Parameter]] = []
        let all = sorted(parameters(of: bytes))
        let hasEmptyPieces = pieces.contains(where: \.isEmpty)
        if hasEmptyPieces {
            let nonEmpty = pieces.filter { !$0.isEmpty }.map(parameter(of:))
            parameterSets.append(sorted(nonEmpty))
            var trailingDropped = Array(pieces)
            while trailingDropped.last?.isEmpty == true { trailingDropped.removeLast() }
            if trailingDropped.count != pieces.count, trailingDropped.contains(where: \.isEmpty) {
                parameterSets.append(sorted(trailingDropped.map(parameter(of:))))
            }
        }
        let hasInvalidUTF8 = all.contains { !isValidUTF8($0.key) || !isValidUTF8($0.value) }
        if hasInvalidUTF8 {
            let replaced = all.map { Parameter(key: replacingInvalidUTF8($0.key), value: replacingInvalidUTF8($0.value)) }
            parameterSets.append(sorted(replaced))
        }
        let hasSlash = all.contains { $0.key.contains(slash) || $0.value.contains(slash) }
        var forms = parameterSets.map { encode($0, keepSlash: false) }
        if hasSlash {
            forms += ([all] + parameterSets).map { encode($0, keepSlash: true) }
        }
        let canonical = encode(all, keepSlash: false)
        var seen: Set<[UInt8]> = [canonical]
        return forms.filter { seen.insert($0).inserted }
    }

    private static let ampersand = UInt8(ascii: "&")
    private static let equals = UInt8(ascii: "=")
    private static let percent = UInt8(ascii: "%")
    private static let plus = UInt8(ascii: "+")
    private static let slash = UInt8(ascii: "/")

    static func parameters(of query: [UInt8]) -> [Parameter] {
        guard !query.isEmpty else { return [] }
        return query.split(separator: ampersand, omittingEmptySubsequences: false).map(parameter(of:))
    }

    private static func parameter(of piece: ArraySlice<UInt8>) -> Parameter {
        if let separator = piece.firstIndex(of: equals) {
            return Parameter(key: decode(piece[..<separator]), value: decode(piece[(separator + 1)...]))
        }
        return Parameter(key: decode(piece), value: [])
    }

    /// `+` becomes a space, `%XX` (either case) becomes its byte, a stray `%` stays.
    static func decode(_ text: ArraySlice<UInt8>) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(text.count)
        var index = text.startIndex
        while index < text.endIndex {
            let byte = text[index]
            if byte == percent, index + 2 < text.endIndex,
                let high = hexValue(text[index + 1]), let low = hexValue(text[index + 2])
            {
                output.append(high << 4 | low)
                index += 3
            } else {
                output.append(byte == plus ? UInt8(ascii: " ") : byte)
                index += 1
            }
        }
        return output
    }

    private static func sorted(_ parameters: [Parameter]) -> [Parameter] {
        parameters.sorted { lhs, rhs in
            lhs.key == rhs.key
                ? lhs.value.lexicographicallyPrecedes(rhs.value) : lhs.key.lexicographicallyPrecedes(rhs.key)
        }
    }

    private static func encode(_ parameters: [Parameter], keepSlash: Bool) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(parameters.reduce(0) { $0 + 3 * ($1.key.count + $1.value.count) + 2 })
        for (index, parameter) in parameters.enumerated() {
            if index > 0 { output.append(ampersand) }
            percentEncode(parameter.key, into: &output, keepSlash: keepSlash)
            output.append(equals)
            percentEncode(parameter.value, into: &output, keepSlash: keepSlash)
        }
        return output
    }

    private static let upperHexDigits = Array("0123456789ABCDEF".utf8)

    private static let unreserved: [Bool] = {
        var table = [Bool](repeating: false, count: 256)
        for byte in Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~".utf8) {
            table[Int(byte)] = true
        }
        return table
    }()

    private static func percentEncode(_ bytes: [UInt8], into output: inout [UInt8], keepSlash: Bool) {
        for byte in bytes {
            if unreserved[Int(byte)] || (keepSlash && byte == slash) {
                output.append(byte)
            } else {
                output.append(percent)
                output.append(upperHexDigits[Int(byte >> 4)])
                output.append(upperHexDigits[Int(byte & 0x0F)])
            }
        }
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    private static func isValidUTF8(_ bytes: [UInt8]) -> Bool {
        var decoder = UTF8()
        var iterator = bytes.makeIterator()
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue: continue
            case .emptyInput: return true
            case .error: return false
            }
        }
    }

    /// What Python and the JVM do: invalid sequences become U+FFFD.
    private static func replacingInvalidUTF8(_ bytes: [UInt8]) -> [UInt8] {
        Array(String(decoding: bytes, as: UTF8.self).utf8)
    }
}
