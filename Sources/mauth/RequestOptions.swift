public import ArgumentParser
public import MAuth

/// The options that describe the request being signed or checked.
struct RequestOptions: ParsableArguments {
    @Option(help: "The HTTP method, such as GET or POST.")
    var method: String

    @Option(help: "The request target as sent on the wire: path and optional ?query, no host.")
    var url: String

    @Option(help: "A file holding the exact body bytes; no body when omitted.")
    var bodyFile: String?

    func validate() throws {
        guard !method.isEmpty, method.allSatisfy({ $0.isASCII && !$0.isWhitespace }) else {
            throw ValidationError("--method must be an HTTP method such as GET")
        }
        guard url.hasPrefix("/") else {
            throw ValidationError("--url must be a path starting with '/', optionally followed by ?query")
        }
    }

    var target: MAuthRequestTarget { MAuthRequestTarget(url: url) }

    func body() throws -> [UInt8] {
        guard let bodyFile else { return [] }
        return try Terminal.readFile(bodyFile, purpose: "body file")
    }
}

extension MAuthProtocolVersion: ExpressibleByArgument {
    public init?(argument: String) {
        self.init(argument)
    }
}
