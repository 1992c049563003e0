/// Why a signing proxy cannot be set up.
public struct ProxyError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        /// A route whose prefix or upstream URL is unusable.
        public static let invalidRoute = Code(description: "invalidRoute")
        /// No routes at all, or two routes with one prefix.
        public static let invalidRoutes = Code(description: "invalidRoutes")

        public let description: String
    }

    /// What went wrong.
    public let code: Code
    /// The reason, in one line.
    public let message: String

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
