public import NIOCore

/// A minimal JSON writer for the small documents pipelines answer with; it escapes strings
/// correctly and keeps key order as given.
///
/// ```swift
/// let document = JSON.object(["msg": .string("authenticated"), "protocol_version": .number(2)])
/// return .json(document)   // {"msg":"authenticated","protocol_version":2}
/// ```
public enum JSON: Sendable {
    /// A string, written with `"`, `\` and control characters escaped.
    case string(String)
    /// An integer; the writer has no fractions, which the pipeline's documents never need.
    case number(Int)
    /// `true` or `false`.
    case bool(Bool)
    /// `null`.
    case null
    /// An array of values, in order.
    case array([JSON])
    /// An object whose members are written in the order given; keys are not checked for duplicates.
    case object(KeyValuePairs<String, JSON>)

    /// The compact JSON text.
    public var text: String {
        String(buffer: utf8)
    }

    /// The compact JSON text as UTF-8 bytes, written straight into a buffer: what a ``Response``
    /// made from the document sends.
    public var utf8: ByteBuffer {
        var output = ByteBuffer()
        output.reserveCapacity(128)
        write(to: &output)
        return output
    }

    private func write(to output: inout ByteBuffer) {
        switch self {
        case .string(let string): Self.writeString(string, to: &output)
        case .number(let number): output.writeString(String(number))
        case .bool(let bool): output.writeStaticString(bool ? "true" : "false")
        case .null: output.writeStaticString("null")
        case .array(let elements):
            output.writeStaticString("[")
            for (index, element) in elements.enumerated() {
                if index > 0 { output.writeStaticString(",") }
                element.write(to: &output)
            }
            output.writeStaticString("]")
        case .object(let members):
            output.writeStaticString("{")
            for (index, member) in members.enumerated() {
                if index > 0 { output.writeStaticString(",") }
                Self.writeString(member.key, to: &output)
                output.writeStaticString(":")
                member.value.write(to: &output)
            }
            output.writeStaticString("}")
        }
    }

    private static func writeString(_ string: String, to output: inout ByteBuffer) {
        output.writeStaticString("\"")
        defer { output.writeStaticString("\"") }
        let needsEscaping = string.utf8.contains { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }
        guard needsEscaping else {
            output.writeString(string)
            return
        }
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": output.writeStaticString("\\\"")
            case "\\": output.writeStaticString("\\\\")
            case "\n": output.writeStaticString("\\n")
            case "\r": output.writeStaticString("\\r")
            case "\t": output.writeStaticString("\\t")
            case let control where control.value < 0x20:
                let hex = String(control.value, radix: 16)
                output.writeString("\\u" + String(repeating: "0", count: 4 - hex.count) + hex)
            default: output.writeString(String(scalar))
            }
        }
    }
}
