import Foundation

/// A file in the temporary directory, removed when the value goes away.
final class TemporaryFile {
    let path: String

    init(contents: Data) throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("mauth-\(UUID().uuidString)").path
        try contents.write(to: URL(fileURLWithPath: path))
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }
}
