import Foundation
import MAuth

#if canImport(Glibc)
    import Glibc

    private let systemWrite = Glibc.write
#elseif canImport(Darwin)
    import Darwin

    private let systemWrite = Darwin.write
#endif

/// The `<uuid>.key` / `<uuid>.pub` pair of one app in a directory.
struct DevelopmentIdentityFiles {
    let directory: String
    let appUUID: String

    var privateKeyPath: String { directory + "/" + appUUID + ".key" }
    var publicKeyPath: String { directory + "/" + appUUID + ".pub" }

    /// Writes both files, never replacing existing ones; the private key is readable by its owner
    /// only.
    func write(_ key: MAuthPrivateKey) throws {
        let files = FileManager.default
        for path in [privateKeyPath, publicKeyPath] where files.fileExists(atPath: path) {
            throw CommandFailure("\(path) already exists; not overwriting it")
        }
        do {
            try files.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw CommandFailure("cannot create the directory '\(directory)'")
        }
        try Self.createNew(privateKeyPath, contents: key.pem, mode: 0o600)
        try Self.createNew(publicKeyPath, contents: key.publicKey.pem, mode: 0o644)
    }

    /// Creates `path` with `mode` from the start (a private key is never readable by others, not
    /// even while it is written), failing if the file already exists.
    private static func createNew(_ path: String, contents: String, mode: mode_t) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
        guard descriptor >= 0 else {
            let reason = errno == EEXIST ? "it already exists" : String(cString: strerror(errno))
            throw CommandFailure("cannot create '\(path)': \(reason)")
        }
        defer { close(descriptor) }
        let bytes = Array(contents.utf8)
        var written = 0
        while written < bytes.count {
            let count = bytes[written...].withUnsafeBytes { systemWrite(descriptor, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { throw CommandFailure("cannot write '\(path)': \(String(cString: strerror(errno)))") }
            written += count
        }
        guard fsync(descriptor) == 0 else {
            throw CommandFailure("cannot write '\(path)': \(String(cString: strerror(errno)))")
        }
    }
}

extension DevelopmentIdentityFiles {
    /// The file in a keys directory that names the development identity's app UUID.
    static func markerPath(in directory: String) -> String { directory + "/development-app-uuid" }

    /// The development identity of `directory` (`.mauth/` by default), created on first use: a
    /// key pair whose public key sits in the same directory, so a server reading public keys from
    /// there accepts requests signed with it.
    static func loadOrCreate(in directory: String) throws -> DevelopmentIdentity {
        let marker = markerPath(in: directory)
        if let data = FileManager.default.contents(atPath: marker),
            let appUUID = String(data: data, encoding: .utf8)?.trimmingCharacters(in: .whitespacesAndNewlines),
            !appUUID.isEmpty
        {
            let files = DevelopmentIdentityFiles(directory: directory, appUUID: appUUID)
            do {
                return (files, try MAuthPrivateKey(contentsOfFile: files.privateKeyPath))
            } catch {
                throw CommandFailure("the development identity in \(directory) is unusable: \(error.message)")
            }
        }
        let files = DevelopmentIdentityFiles(directory: directory, appUUID: UUID().uuidString.lowercased())
        let key = try MAuthPrivateKey.generate()
        try files.write(key)
        guard FileManager.default.createFile(atPath: marker, contents: Data((files.appUUID + "\n").utf8)) else {
            throw CommandFailure("cannot write \(marker)")
        }
        return (files, key)
    }
}

/// The development identity's files and its private key.
typealias DevelopmentIdentity = (files: DevelopmentIdentityFiles, key: MAuthPrivateKey)
