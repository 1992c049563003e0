import Foundation
import MAuth

/// The `curl -v`-like account of an exchange that `mauth request` prints, coloured on a terminal.
struct Transcript {
    let enabled: Bool
    private let colour = isatty(STDOUT_FILENO) == 1

    init(enabled: Bool) {
        self.enabled = enabled
    }

    func request(method: String, url: String, version: String, headers: [(name: String, value: String)], body: [UInt8]?)
    {
        guard enabled else { return }
        var lines = ["\(method) \(MAuthRequestTarget(url: url).description) \(version)"]
        if let host = URLComponents(string: url)?.host { lines.append("Host: \(host)") }
        lines += headers.map { "\($0.name): \($0.value)" }
        for line in lines { write("> " + line, code: "36") }
        write(">", code: "36")
        if let body, !body.isEmpty { write("> [\(body.count) bytes of body]", code: "36") }
    }

    func response(
        version: String,
        status: Int,
        reason: String,
        headers: [(name: String, value: String)],
        responder: MAuthIdentity?
    ) {
        guard enabled else { return }
        write("< \(version) \(status) \(reason)", code: status >= 400 ? "31" : "32")
        for header in headers { write("< \(header.name): \(header.value)", code: "32") }
        if let responder {
            write("< MAuth: authentic response from \(responder.appUUID) (\(responder.version))", code: "32")
        }
        write("<", code: "32")
    }

    private func write(_ line: String, code: String) {
        Terminal.writeLine(colour ? "\u{1B}[\(code)m\(line)\u{1B}[0m" : line)
    }
}
