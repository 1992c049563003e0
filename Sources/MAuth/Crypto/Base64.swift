/// Standard Base64 (RFC 4648 §4) with padding and no line breaks, decoded strictly: any character
/// outside the alphabet, a missing or misplaced `=`, or a length that is not a multiple of four is
/// rejected.
enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    private static let decodeTable: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (index, character) in alphabet.enumerated() {
            table[Int(character)] = UInt8(index)
        }
        return table
    }()

    static func encode(_ bytes: [UInt8]) -> String {
        let alphabet = self.alphabet
        let outputCount = (bytes.count + 2) / 3 * 4
        return String(unsafeUninitializedCapacity: outputCount) { output in
            var out = 0
            var index = 0
            while index + 3 <= bytes.count {
                let chunk = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
                output[out] = alphabet[Int(chunk >> 18 & 0x3F)]
                output[out + 1] = alphabet[Int(chunk >> 12 & 0x3F)]
                output[out + 2] = alphabet[Int(chunk >> 6 & 0x3F)]
                output[out + 3] = alphabet[Int(chunk & 0x3F)]
                out += 4
                index += 3
            }
            let remaining = bytes.count - index
            if remaining > 0 {
                let second = remaining == 2 ? UInt32(bytes[index + 1]) : 0
                let chunk = UInt32(bytes[index]) << 16 | second << 8
                output[out] = alphabet[Int(chunk >> 18 & 0x3F)]
                output[out + 1] = alphabet[Int(chunk >> 12 & 0x3F)]
                output[out + 2] = remaining == 2 ? alphabet[Int(chunk >> 6 & 0x3F)] : UInt8(ascii: "=")
                output[out + 3] = UInt8(ascii: "=")
                out += 4
            }
            return out
        }
    }

    static func decode(_ text: some StringProtocol) -> [UInt8]? {
        if let decoded = text.utf8.withContiguousStorageIfAvailable({ decode($0) }) { return decoded }
        return decode(Array(text.utf8))
    }

    static func decode(_ characters: [UInt8]) -> [UInt8]? {
        characters.withUnsafeBufferPointer { decode($0) }
    }

    private static func decode(_ characters: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        guard !characters.isEmpty, characters.count % 4 == 0 else { return nil }
        let equals = UInt8(ascii: "=")
        var padding = 0
        if characters[characters.count - 1] == equals { padding += 1 }
        if characters[characters.count - 2] == equals { padding += 1 }
        let bodyCount = characters.count - padding
        // The table maps every byte outside the alphabet to 0xFF: OR-ing the values together
        // finds one without a branch per character.
        var outsideAlphabet: UInt8 = 0
        let decoded = decodeTable.withUnsafeBufferPointer { table in
            [UInt8](unsharedCapacity: characters.count / 4 * 3) { output, written in
                func value(at index: Int) -> UInt32 {
                    let value = index < bodyCount ? table[Int(characters[index])] : 0
                    outsideAlphabet |= value
                    return UInt32(value)
                }
                written = 0
                var index = 0
                while index < characters.count {
                    let chunk =
                        value(at: index) << 18 | value(at: index + 1) << 12 | value(at: index + 2) << 6
                        | value(at: index + 3)
                    output[written] = UInt8(truncatingIfNeeded: chunk >> 16)
                    output[written + 1] = UInt8(truncatingIfNeeded: chunk >> 8)
                    output[written + 2] = UInt8(truncatingIfNeeded: chunk)
                    written += 3
                    index += 4
                }
                written -= padding
            }
        }
        return outsideAlphabet & 0xC0 == 0 ? decoded : nil
    }
}
