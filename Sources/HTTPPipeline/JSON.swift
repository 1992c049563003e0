/// A minimal JSON writer for the small documents pipelines answer with; it escapes strings
/// correctly and keeps key order as given.
///
/// ```swift
/// let document = JSON.object(["msg": .string("authenticated"), "protocol_version": .number(2)])
/// return .json(document.text)   // {"msg":"authenticated","protocol_version":2}
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
        var output = ""
        output.reserveCapacity(128)
        write(to: &output)
        return output
    }

    private func write(to output: inout String) {
        switch self {
        case .string(let string): Self.writeString(string, to: &output)
        case .number(let number): output += String(number)
        case .bool(let bool): output += bool ? "true" : "false"
        case .null: output += "null"
        case .array(let elements):
            output += "["
            for (index, element) in elements.enumerated() {
                if index > 0 { output += "," }
                element.write(to: &output)
            }
            output += "]"
        case .object(let members):
            output += "{"
            for (index, member) in members.enumerated() {
                if index > 0 { output += "," }
                Self.writeString(member.key, to: &output)
                output += ":"
                member.value.write(to: &output)
            }
            output += "}"
        }
    }

    private static func writeString(_ string: String, to output: inout String) {
        output += "\""
        defer { output += "\"" }
        let needsEscaping = string.utf8.contains { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }
        guard needsEscaping else {
            output += string
            return
        }
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case let control where control.value < 0x20:
                let hex = String(control.value, radix: 16)
                output += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: output.unicodeScalars.append(scalar)
            }
        }
    }
}
