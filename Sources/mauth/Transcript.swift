import Foundation
import HTTPTypes
import MAuth

/// The `curl -v`-like account of an exchange that `mauth request` prints, coloured on a terminal.
struct Transcript {
    let enabled: Bool
    private let colour = isatty(STDOUT_FILENO) == 1

    init(enabled: Bool) {
        self.enabled = enabled
    }

    /// The request as sent, named by the protocol its response came back in.
    func request(_ request: OutgoingRequest, protocolName: String) {
        guard enabled else { return }
        var lines = ["\(request.head.method.rawValue) \(request.head.path ?? "/") \(protocolName)"]
        if let authority = request.head.authority { lines.append("Host: \(authority)") }
        lines += request.head.headerFields.map { "\($0.name.rawName): \($0.value)" }
        for line in lines { write("> " + line, code: "36") }
        write(">", code: "36")
        if let body = request.body, body.byteCount > 0 { write("> [\(body.byteCount) bytes of body]", code: "36") }
    }

    /// The response's head, and who signed it when it was authenticated.
    func response(_ response: ReceivedResponse, responder: MAuthIdentity?) {
        guard enabled else { return }
        let status = response.head.status.code
        write(
            "< \(response.protocolName) \(status) \(response.reasonPhrase)", code: status >= 400 ? "31" : "32")
        for field in response.head.headerFields { write("< \(field.name.rawName): \(field.value)", code: "32") }
        if let responder {
            write("< MAuth: authentic response from \(responder.appUUID) (\(responder.version))", code: "32")
        }
        write("<", code: "32")
    }

    private func write(_ line: String, code: String) {
        Terminal.writeLine(colour ? "\u{1B}[\(code)m\(line)\u{1B}[0m" : line)
    }
}
