import Foundation

/// Output helpers: raw bytes to standard output, one-line messages to standard error.
enum Terminal {
    static func write(_ bytes: [UInt8]) {
        FileHandle.standardOutput.write(Data(bytes))
    }

    static func writeLine(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    static func writeError(_ line: String) {
        FileHandle.standardError.write(Data((line.hasSuffix("\n") ? line : line + "\n").utf8))
    }

    /// The bytes of `path`, or a usage failure naming the file.
    static func readFile(_ path: String, purpose: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CommandFailure.usage("cannot read the \(purpose) '\(path)'")
        }
        return Array(data)
    }
}
