/// The suite itself could not be read.
public struct ConformanceSuiteError: Error, Sendable, CustomStringConvertible {
    /// What is wrong with the suite.
    public let message: String

    init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
