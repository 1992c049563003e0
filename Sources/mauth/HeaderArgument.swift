import Foundation
import HTTPTypes

/// A header field given on the command line as `Name: value`, the form of curl's `-H`.
enum HeaderArgument {
    /// Parses `text`; `option` names the option in the usage error.
    static func parse(_ text: String, option: String) throws -> HTTPField {
        guard let colon = text.firstIndex(of: ":"),
            let name = HTTPField.Name(String(text[..<colon]).trimmingCharacters(in: .whitespaces))
        else {
            throw CommandFailure.usage("\(option) must look like 'Name: value', not '\(text)'")
        }
        return HTTPField(
            name: name, value: String(text[text.index(after: colon)...]).trimmingCharacters(in: .whitespaces))
    }
}
