/// A failure that ends the command with a one-line reason and a chosen exit status.
struct CommandFailure: Error {
    static let failureStatus: Int32 = 1
    static let usageStatus: Int32 = 2

    let message: String
    let exitStatus: Int32

    init(_ message: String, exitStatus: Int32 = failureStatus) {
        self.message = message
        self.exitStatus = exitStatus
    }

    static func usage(_ message: String) -> CommandFailure {
        CommandFailure(message, exitStatus: usageStatus)
    }
}
