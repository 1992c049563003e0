import Foundation
import MAuthTestSupport

/// A running `mauth serve`, started as a user would start it.
final class ServeProcess: @unchecked Sendable {
    let process = Process()
    let port: Int
    let tlsPort: Int?
    /// What the command printed before it was ready, including the banner.
    let banner: String
    private let output = Pipe()

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Starts `mauth serve --port 0 ARGUMENTS` in `directory` and waits for its banner.
    init(_ arguments: [String], directory: URL? = nil) async throws {
        process.executableURL = try ChildProcess.mauthExecutable()
        process.arguments = ["serve", "--port", "0", "--log-level", "warning"] + arguments
        if let directory { process.currentDirectoryURL = directory }
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        var text = ""
        let reader = output.fileHandleForReading
        let deadline = ContinuousClock.now.advanced(by: .seconds(30))
        while !text.contains("Unsigned, exempt:") {
            let chunk = reader.availableData
            guard !chunk.isEmpty, ContinuousClock.now < deadline else {
                process.terminate()
                throw Failure(description: "mauth serve did not start; it printed: \(text)")
            }
            text += String(decoding: chunk, as: UTF8.self)
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

    var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Sends SIGTERM and returns the exit status.
    func stop() async -> Int32 {
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        return process.terminationStatus
    }

    deinit {
        if process.isRunning { process.terminate() }
    }
}
