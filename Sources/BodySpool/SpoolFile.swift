import NIOCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

#if os(Linux)
    /// Linux's `O_TMPFILE`, a macro Swift does not import: an unnamed file in the directory opened.
    private let openUnnamedFile = 0o20000000 | O_DIRECTORY
#endif

/// A temporary file without a name: nothing else can open it, and it is gone once closed, even if
/// the process is killed.
///
/// On Linux it is made with `O_TMPFILE`; elsewhere (and on file systems without it) it is created
/// under a random name and unlinked at once. Mode 0600 either way.
final class SpoolFile {
    private let descriptor: Int32
    private let directory: String
    /// How many bytes have been written.
    private(set) var size = 0

    init(directory: String) throws(BodySpoolError) {
        self.directory = directory
        descriptor = try Self.open(in: directory)
    }

    deinit {
        close(descriptor)
    }

    /// Appends `bytes`.
    func write(_ bytes: UnsafeRawBufferPointer) throws(BodySpoolError) {
        var offset = 0
        while offset < bytes.count {
            let written = pwrite(descriptor, bytes.baseAddress! + offset, bytes.count - offset, off_t(size + offset))
            if written < 0 {
                let error = errno
                if error == EINTR { continue }
                let code: BodySpoolError.Code = error == ENOSPC || error == EDQUOT ? .storageFull : .storageUnavailable
                throw BodySpoolError(
                    code, "Could not spool a body to \(directory): \(String(cString: strerror(error)))")
            }
            offset += written
        }
        size += bytes.count
    }

    /// Appends the readable bytes of `buffer`.
    func write(_ buffer: ByteBuffer) throws(BodySpoolError) {
        var failure: BodySpoolError?
        buffer.withUnsafeReadableBytes { bytes in
            do throws(BodySpoolError) {
                try write(bytes)
            } catch {
                failure = error
            }
        }
        if let failure { throw failure }
    }

    /// Reads up to `buffer.count` bytes from `position`; returns how many were read.
    func read(at position: Int, into buffer: UnsafeMutableRawBufferPointer) throws(BodySpoolError) -> Int {
        while true {
            let count = pread(descriptor, buffer.baseAddress, buffer.count, off_t(position))
            if count >= 0 { return count }
            let error = errno
            if error == EINTR { continue }
            throw BodySpoolError(
                .storageUnavailable,
                "Could not read a spooled body back from \(directory): \(String(cString: strerror(error)))")
        }
    }

    private static func open(in directory: String) throws(BodySpoolError) -> Int32 {
        #if os(Linux)
            let unnamed = Glibc.open(directory, openUnnamedFile | O_RDWR | O_CLOEXEC, 0o600)
            if unnamed >= 0 { return unnamed }
            // Some file systems have no unnamed files; a named one, unlinked at once, does as well.
            if errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL { throw failure(directory, errno) }
        #endif
        var template = Array("\(directory)/mauth-body-XXXXXX".utf8CString)
        let named = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard named >= 0 else { throw failure(directory, errno) }
        let path = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        unlink(path)
        _ = fcntl(named, F_SETFD, FD_CLOEXEC)
        return named
    }

    private static func failure(_ directory: String, _ error: Int32) -> BodySpoolError {
        BodySpoolError(
            error == ENOSPC || error == EDQUOT ? .storageFull : .storageUnavailable,
            "Cannot create a spool file in \(directory): \(String(cString: strerror(error)))")
    }
}
