import MAuth

/// Apps registered in memory, then a directory of `<app_uuid>.pub` files.
struct RegisteredOrDirectoryKeys: PublicKeyProvider {
    let registered: [String: MAuthPublicKey]
    let directory: DirectoryPublicKeyProvider

    func publicKey(forAppUUID appUUID: String) async throws -> MAuthPublicKey? {
        if let key = registered[appUUID] { return key }
        return try await directory.publicKey(forAppUUID: appUUID)
    }

    func refreshedPublicKey(forAppUUID appUUID: String, replacing rejectedKey: MAuthPublicKey) async
        -> MAuthPublicKey?
    {
        registered[appUUID] == nil
            ? await directory.refreshedPublicKey(forAppUUID: appUUID, replacing: rejectedKey) : nil
    }
}
