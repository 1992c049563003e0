/// Why a body could not be spooled.
public struct BodySpoolError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong, as a value that stays stable as messages change.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let name: String

        /// The spool's file system is full (or the quota is used up): the request can be retried
        /// later, so servers answer 503.
        public static let storageFull = Code(name: "storageFull")
        /// The spool directory cannot be written, or a spool file could not be read back.
        public static let storageUnavailable = Code(name: "storageUnavailable")

        /// The code's name.
        public var description: String { name }
    }

    /// What went wrong.
    public let code: Code
    /// One line that says what and where.
    public let message: String

    init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// The message.
    public var description: String { message }
}
