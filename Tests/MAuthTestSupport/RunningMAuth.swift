public import Foundation

/// A running `mauth` command (`serve` or `service`), started as a user would start it.
///
/// `Sendable` because every stored property is set before the initializer returns, and `Process`
/// and `Pipe` are only read afterwards.
public final class RunningMAuth: @unchecked Sendable {
    let process = Process()
    /// The cleartext port from the banner.
    public let port: Int
    /// The TLS port from the banner, when there is one.
    public let tlsPort: Int?
    /// What the command printed before it was ready, including the banner.
    public let banner: String
    private let output = Pipe()
    private let termination: ProcessExit

    /// The command did not start.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Starts `mauth serve --port 0 ARGUMENTS` in `directory` and waits for its banner.
    public convenience init(serve arguments: [String], directory: URL? = nil) async throws {
        try await self.init(
            ["serve", "--port", "0", "--log-level", "warning"] + arguments, readyWhen: "Unsigned, exempt:",
            directory: directory)
    }

    /// Starts `mauth service --port 0 ARGUMENTS` and waits until it listens.
    public convenience init(service arguments: [String]) async throws {
        try await self.init(
            ["service", "--port", "0", "--log-level", "warning"] + arguments, readyWhen: "\n", directory: nil)
    }

    /// Starts `mauth ARGUMENTS` in `directory` and waits until its output contains `marker`;
    /// standard error goes to `standardError` when given, else nowhere.
    public convenience init(
        _ arguments: [String], readyWhen marker: String, directory: URL?, standardError: URL? = nil
    ) async throws {
        try await self.init(
            executable: try ChildProcess.mauthExecutable(), arguments, readyWhen: marker, directory: directory,
            standardError: standardError)
    }

    /// Starts any program that prints `listening on http://127.0.0.1:PORT` when it is ready.
    public init(
        executable: URL,
        _ arguments: [String],
        readyWhen marker: String,
        directory: URL? = nil,
        environment: [String: String]? = nil,
        standardError: URL? = nil
    ) async throws {
        process.executableURL = executable
        process.arguments = arguments
        if let environment { process.environment = environment }
        if let directory { process.currentDirectoryURL = directory }
        process.standardOutput = output
        if let standardError {
            guard FileManager.default.createFile(atPath: standardError.path, contents: nil) else {
                throw Failure(description: "cannot create \(standardError.path)")
            }
            process.standardError = try FileHandle(forWritingTo: standardError)
        } else {
            process.standardError = FileHandle.nullDevice
        }
        process.standardInput = FileHandle.nullDevice
        termination = ProcessExit(watching: process)
        try process.run()
        let reader = output.fileHandleForReading
        let deadline = ContinuousClock.now.advanced(by: .seconds(30))
        let text = await onDedicatedThread {
            var text = ""
            while !text.contains(marker), ContinuousClock.now < deadline {
                let chunk = reader.availableData
                if chunk.isEmpty { break }
                text += String(decoding: chunk, as: UTF8.self)
            }
            return text
        }
        guard text.contains(marker) else {
            process.terminate()
            throw Failure(description: "mauth \(arguments.first ?? "") did not start; it printed: \(text)")
        }
        banner = text
        port = try Self.port(in: text, scheme: "http")
        tlsPort = try? Self.port(in: text, scheme: "https")
    }

    private static func port(in banner: String, scheme: String) throws -> Int {
        guard let start = banner.range(of: "listening on \(scheme)://127.0.0.1:"),
            let port = Int(banner[start.upperBound...].prefix(while: \.isNumber))
        else { throw Failure(description: "no \(scheme) port in: \(banner)") }
        return port
    }

    public var baseURL: String { "http://127.0.0.1:\(port)" }

    /// The running command's process ID.
    public var processIdentifier: Int32 { process.processIdentifier }

    /// The command's resident memory, in bytes, from `/proc` (Linux only).
    public func residentMemory() throws -> Int {
        let status = try String(contentsOfFile: "/proc/\(processIdentifier)/status", encoding: .utf8)
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
            let kilobytes = Int(line.split(separator: " ").dropFirst().first ?? "")
        else { throw Failure(description: "no VmRSS line for process \(processIdentifier)") }
        return kilobytes * 1024
    }

    /// Sends SIGTERM and returns the exit status; a program still running after five seconds is
    /// killed (a child may inherit a blocked SIGTERM from the test process).
    public func stop() async -> Int32 {
        kill(process.processIdentifier, SIGTERM)
        if let status = await termination.status(within: .seconds(5)) { return status }
        kill(process.processIdentifier, SIGKILL)
        return await termination.status()
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}
