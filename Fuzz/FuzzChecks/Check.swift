/// Stops the fuzzer with the property that failed and the input that broke it.
func check(_ holds: Bool, _ property: StaticString, _ input: [UInt8]) {
    guard !holds else { return }
    let shown = input.prefix(256).map {
        $0 >= 0x20 && $0 < 0x7f ? String(UnicodeScalar($0)) : "\\x\(String($0, radix: 16))"
    }
    fatalError("property failed: \(property); input: \(shown.joined())")
}
