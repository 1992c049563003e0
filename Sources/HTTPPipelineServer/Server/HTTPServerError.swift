/// Why an ``HTTPServer`` could not start.
///
/// Every error carries a ``Code`` that programs can switch on and a one-line ``message`` that
/// names the address or file at fault, for the operator reading it.
public struct HTTPServerError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The category of an ``HTTPServerError``.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private let name: String

        private init(_ name: String) {
            self.name = name
        }

        /// The server could not listen on a configured host and port.
        public static let cannotListen = Code("cannotListen")
        /// The TLS certificate chain or private key could not be loaded.
        public static let invalidTLSConfiguration = Code("invalidTLSConfiguration")

        public var description: String { name }
    }

    /// What kind of failure this is.
    public let code: Code
    /// A one-line, human-readable explanation.
    public let message: String

    /// Creates an error with a code and a message.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
