/// Lower-case hexadecimal encoding.
enum Hex {
    private static let digits = Array("0123456789abcdef".utf8)

    static func encode(_ bytes: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        let digits = self.digits
        return [UInt8](unsharedCapacity: bytes.count * 2) { output, count in
            for (index, byte) in bytes.enumerated() {
                output[2 * index] = digits[Int(byte >> 4)]
                output[2 * index + 1] = digits[Int(byte & 0x0F)]
            }
            count = bytes.count * 2
        }
    }
}
