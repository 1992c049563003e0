import Locking

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Public keys read from a directory of `<app_uuid>.pub` PEM files (SubjectPublicKeyInfo or
/// PKCS#1).
///
/// A key file is looked at again at most once per ``recheckInterval`` (one second by default) and
/// parsed again only when it changed, so keys added to, replaced in or removed from the directory
/// take effect without a restart. App UUIDs that are not plain file names (anything but letters,
/// digits, `-` and `_`) are unknown apps, never paths.
public final class DirectoryPublicKeyProvider: PublicKeyProvider {
    /// The directory that holds the key files.
    public let directory: String

    private struct FileIdentity: Equatable {
        var device: UInt64
        var inode: UInt64
        var size: Int64
        var modifiedSeconds: Int
        var modifiedNanoseconds: Int
    }

    private struct CachedKey {
        var file: FileIdentity
        var key: MAuthPublicKey
        var checked: ContinuousClock.Instant
    }

    private let cache = Locked<[String: CachedKey]>([:])
    private let clock: MAuthClock

    /// How long a key found in the directory is used before its file is looked at again.
    public let recheckInterval: Duration

    /// Creates a provider over `directory`.
    ///
    /// - Parameters:
    ///   - directory: the folder that holds one `<app_uuid>.pub` file per known app.
    ///   - recheckInterval: how long a found key is used before its file is looked at again;
    ///     `.zero` looks at the file on every lookup.
    ///   - clock: measures the recheck interval (its monotonic instant).
    public init(directory: String, recheckInterval: Duration = .seconds(1), clock: MAuthClock = .system) {
        self.directory = directory
        self.recheckInterval = recheckInterval
        self.clock = clock
    }

    /// The file that holds the key of `appUUID`, or `nil` when `appUUID` cannot be a file name.
    public func keyFilePath(forAppUUID appUUID: String) -> String? {
        let allowed = appUUID.utf8.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "-")
                || byte == UInt8(ascii: "_")
        }
        guard allowed, (1...128).contains(appUUID.utf8.count) else { return nil }
        return directory + "/" + appUUID + ".pub"
    }

    public func publicKey(forAppUUID appUUID: String) async throws -> MAuthPublicKey? {
        try lookUp(appUUID, recheck: false)
    }

    /// The key in the app's file now, looked at whatever the recheck interval, when it is not
    /// `rejectedKey`: a file replaced since it was last read is seen at once.
    public func refreshedPublicKey(forAppUUID appUUID: String, replacing rejectedKey: MAuthPublicKey) async
        -> MAuthPublicKey?
    {
        guard let key = try? lookUp(appUUID, recheck: true), key != rejectedKey else { return nil }
        return key
    }

    private func lookUp(_ appUUID: String, recheck: Bool) throws -> MAuthPublicKey? {
        let now = clock.instant()
        let cached = cache.withLock { $0[appUUID] }
        if !recheck, let cached, cached.checked.duration(to: now) < recheckInterval {
            return cached.key
        }
        // Only a name that passed this check is ever cached, so a hit above needs no check.
        guard let path = keyFilePath(forAppUUID: appUUID) else { return nil }
        guard let file = Self.identity(ofFile: path) else {
            cache.withLock { $0[appUUID] = nil }
            return nil
        }
        if var cached, cached.file == file {
            cached.checked = now
            cache.withLock { $0[appUUID] = cached }
            return cached.key
        }
        let key: MAuthPublicKey
        do {
            key = try MAuthPublicKey(contentsOfFile: path)
        } catch {
            throw MAuthError(
                .unableToAuthenticate, "the public key file for app \(appUUID) is unusable: \(error.message)")
        }
        cache.withLock { $0[appUUID] = CachedKey(file: file, key: key, checked: now) }
        return key
    }

    private static func identity(ofFile path: String) -> FileIdentity? {
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        #if canImport(Darwin)
            let modified = info.st_mtimespec
        #else
            let modified = info.st_mtim
        #endif
        return FileIdentity(
            device: UInt64(info.st_dev),
            inode: UInt64(info.st_ino),
            size: Int64(info.st_size),
            modifiedSeconds: Int(modified.tv_sec),
            modifiedNanoseconds: Int(modified.tv_nsec)
        )
    }
}
