public import Foundation

/// Runs another program to completion: the `mauth` executable, curl, openssl, Python.
public enum ChildProcess {
    /// What a finished program left behind.
    public struct Result: Sendable {
        public let status: Int32
        public let output: Data
        public let error: Data

        public var text: String { String(decoding: output, as: UTF8.self) }
        public var errorText: String { String(decoding: error, as: UTF8.self) }
    }

    /// A program could not be found or started.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String

        public init(description: String) {
            self.description = description
        }
    }

    /// The built `mauth` executable, next to the test bundle in the build directory.
    public static func mauthExecutable() throws -> URL {
        var directory = Bundle.main.bundleURL
        while directory.path != "/" {
            let candidate = directory.appendingPathComponent("mauth")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            directory.deleteLastPathComponent()
        }
        throw Failure(description: "the mauth executable was not found near \(Bundle.main.bundleURL.path)")
    }

    /// `name` on the PATH, or `nil`.
    public static func find(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Runs `executable` with `arguments`, feeding it `input`, and waits for it to exit.
    public static func run(
        _ executable: URL,
        _ arguments: [String],
        input: Data? = nil,
        environment: [String: String]? = nil,
        directory: URL? = nil
    ) async throws -> Result {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if let environment { process.environment = environment }
        if let directory { process.currentDirectoryURL = directory }
        let stdin = Pipe()
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardInput = input == nil ? FileHandle.nullDevice : stdin
        process.standardOutput = stdout
        process.standardError = stderr
        let termination = ProcessExit(watching: process)
        try process.run()
        // The pipes are drained and the input written at once, each on its own thread, so that a
        // chatty program cannot fill one pipe and stall while the test waits on another.
        async let output = onDedicatedThread { stdout.fileHandleForReading.readDataToEndOfFile() }
        async let error = onDedicatedThread { stderr.fileHandleForReading.readDataToEndOfFile() }
        if let input {
            await onDedicatedThread {
                stdin.fileHandleForWriting.write(input)
                try? stdin.fileHandleForWriting.close()
            }
        }
        let (outputData, errorData) = await (output, error)
        return Result(status: await termination.status(), output: outputData, error: errorData)
    }
}
