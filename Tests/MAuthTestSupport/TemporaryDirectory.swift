public import Foundation

/// A new empty directory under the system's temporary directory, removed with everything in it
/// when the value goes away.
///
/// For a directory that must outlive one function, such as one a suite or a server keeps; within
/// one function, ``withTemporaryDirectory(_:_:)`` says where the directory ends.
public final class TemporaryDirectory: Sendable {
    /// The directory, named `PREFIX-UUID`.
    public let url: URL

    /// Creates the directory, named after `prefix` so that one left behind shows which test made it.
    public init(_ prefix: String) throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(at: url)
    }
}

/// Runs `body` with a new ``TemporaryDirectory``'s URL, and removes the directory with everything
/// in it afterwards, whether `body` returned or threw.
public func withTemporaryDirectory<Result>(
    _ prefix: String,
    _ body: (URL) async throws -> Result
) async throws -> Result {
    let directory = try TemporaryDirectory(prefix)
    // Swift may release an object after its last use, which here is reading `url`: this keeps the
    // directory until `body` is done with it.
    defer { withExtendedLifetime(directory) {} }
    return try await body(directory.url)
}
