/// An error raised by the MAuth library.
///
/// Every error carries a ``Code`` that programs can switch on and a one-line ``message`` written
/// for the person reading the log. Codes are open-ended: new codes may be added in minor releases,
/// so compare with `==` rather than exhaustively switching.
public struct MAuthError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The category of an ``MAuthError``.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private let name: String

        private init(_ name: String) {
            self.name = name
        }

        /// The message is not authentic: a missing, malformed, expired or wrong signature, or an
        /// unknown app. Servers answer 401.
        public static let inauthentic = Code("inauthentic")
        /// Authenticity could not be determined because of a fault on the authenticating side,
        /// such as an unreachable MAuth service or an unusable public key. Servers answer 500.
        public static let unableToAuthenticate = Code("unableToAuthenticate")
        /// Key text could not be read as an RSA key of a supported form.
        public static let invalidKey = Code("invalidKey")
        /// A message could not be signed (missing fields, or a key too small for the protocol).
        public static let unableToSign = Code("unableToSign")
        /// A configuration value is missing or malformed.
        public static let invalidConfiguration = Code("invalidConfiguration")

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
