import Foundation
import MAuth
import MAuthClient
import NIOCore
import NIOHTTP1

/// The `curl -v`-like account of an exchange that `mauth request` prints, coloured on a terminal.
struct Transcript {
    let enabled: Bool
    private let colour = isatty(STDOUT_FILENO) == 1

    init(enabled: Bool) {
        self.enabled = enabled
    }

    func request(method: String, url: String, headers: HTTPHeaders, body: [UInt8]?) {
        guard enabled else { return }
        let target = MAuthRequestTarget(url)
        var lines = ["\(method) \(target.description) HTTP/1.1"]
        if let host = URLComponents(string: url)?.host { lines.append("Host: \(host)") }
        lines += headers.map { "\($0.name): \($0.value)" }
        for line in lines { write("> " + line, code: "36") }
        write(">", code: "36")
        if let body, !body.isEmpty { write("> [\(body.count) bytes of body]", code: "36") }
    }

    func response(_ response: MAuthHTTPClient.Response) {
        guard enabled else { return }
        let version =
            response.version.major == 2 ? "HTTP/2" : "HTTP/\(response.version.major).\(response.version.minor)"
        write(
            "< \(version) \(response.status.code) \(response.status.reasonPhrase)",
            code: response.status.code >= 400 ? "31" : "32")
        for header in response.headers { write("< \(header.name): \(header.value)", code: "32") }
        if let responder = response.responder {
            write("< MAuth: authentic response from \(responder.appUUID) (\(responder.version))", code: "32")
        }
        write("<", code: "32")
    }

    private func write(_ line: String, code: String) {
        Terminal.writeLine(colour ? "\u{1B}[\(code)m\(line)\u{1B}[0m" : line)
    }
}
