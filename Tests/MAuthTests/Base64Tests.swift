import Foundation
import Testing

@testable import MAuth

/// Signatures arrive as Base64: the decoder must read what Foundation writes, and refuse what is
/// not strict Base64 (RFC 4648 §4) rather than guess, where Foundation on Linux reads some of it.
@Suite("Base64")
struct Base64Tests {
    @Test("decodes what Foundation encodes, for every length up to 300 bytes", arguments: [0, 1, 2, 3, 255, 256, 299])
    func roundTrip(seed: Int) {
        var generator = SplitMix64(seed: UInt64(seed))
        for length in 1...300 {
            let bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            let text = Data(bytes).base64EncodedString()
            #expect(Base64.decode(text) == bytes, "\(length) bytes")
            #expect(Base64.decode(text[...]) == bytes, "\(length) bytes as a substring")
            #expect(Base64.encode(bytes) == text)
        }
    }

    @Test(
        "refuses text that is not strict Base64, the empty text included",
        arguments: [
            "", "A", "AB", "ABC", "ABCDE", "AB=C", "A===", "====", "AB C", "AB\nC", "ABC-", "ABC_", "AB=CDEFG", "é=AB",
        ]
    )
    func refuses(text: String) {
        #expect(Base64.decode(text) == nil)
    }

    /// Deterministic bytes, so that a failure names its input.
    private struct SplitMix64 {
        var state: UInt64
        init(seed: UInt64) { state = seed }
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var mixed = state
            mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
            mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
            return mixed ^ (mixed >> 31)
        }
    }
}
