import Foundation
import MAuth

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
        guard
            files.createFile(
                atPath: privateKeyPath, contents: Data(key.pem.utf8), attributes: [.posixPermissions: 0o600]),
            files.createFile(
                atPath: publicKeyPath, contents: Data(key.publicKey.pem.utf8), attributes: [.posixPermissions: 0o644])
        else {
            throw CommandFailure("cannot write the key files in '\(directory)'")
        }
    }
}

extension DevelopmentIdentityFiles {
    /// The file in a keys directory that names the development identity's app UUID.
    static func markerPath(in directory: String) -> String { directory + "/development-app-uuid" }

    /// The development identity of `directory` (`.mauth/` by default), created on first use: a
    /// key pair whose public key sits in the same directory, so a server reading public keys from
    /// there accepts requests signed with it.
    static func loadOrCreate(in directory: String) throws -> (files: DevelopmentIdentityFiles, key: MAuthPrivateKey) {
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
