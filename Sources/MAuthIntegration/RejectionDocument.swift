import Foundation

/// The JSON documents an integration answers with when MAuth refuses a request.
enum RejectionDocument {
    /// `{"errors":{"mauth":["<message>"]}}`: how every MAuth client words a refusal.
    static func mauthErrors(_ message: String) -> String {
        encoded(["errors": ["mauth": [message]]])
    }

    /// `{"error":"<message>"}`: how the server words its other errors, a body too large among them.
    static func error(_ message: String) -> String {
        encoded(["error": message])
    }

    private static func encoded(_ document: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Strings in nested dictionaries always encode; the fallback is never taken.
        guard let data = try? encoder.encode(document) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }
}
