public import Foundation

/// A small file system of its own, for tests of what happens when one is full: a tmpfs mounted on
/// a temporary directory for the length of a test. Mounting needs root.
public enum TmpfsMount {
    /// Whether a tmpfs can be mounted here: tried once per process.
    public static let isAvailable: Bool = {
        guard let directory = try? TemporaryDirectory("tmpfs-probe") else { return false }
        guard run(["mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs", directory.url.path]) else { return false }
        return run(["umount", directory.url.path])
    }()

    /// Runs `body` with a directory on a tmpfs of `kilobytes`, unmounted afterwards.
    public static func with<Result>(kilobytes: Int, _ body: (URL) async throws -> Result) async throws -> Result {
        let directory = try TemporaryDirectory("tmpfs")
        guard run(["mount", "-t", "tmpfs", "-o", "size=\(kilobytes)k", "tmpfs", directory.url.path]) else {
            throw CocoaError(.fileWriteNoPermission)
        }
        defer { _ = run(["umount", directory.url.path]) }
        return try await body(directory.url)
    }

    private static func run(_ arguments: [String]) -> Bool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            return false
        }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }
}
