#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A value that only one thread at a time may touch, behind a lock that ThreadSanitizer sees.
///
/// It stands where `Synchronization.Mutex` would: on Linux, ThreadSanitizer does not see that
/// type's lock in this toolchain and reports every access it guards as a race (four threads
/// changing an array only inside `withLock` show it), which would hide a real race among the
/// false ones. A pthread mutex it sees.
///
/// Copies share one value and one lock, which live together in a single allocation: a lock made
/// for each request or stream costs one allocation, not three.
package struct Locked<Value>: @unchecked Sendable {
    // Safe to share: the value is read and written only inside `withLock`, with the mutex held. It
    // is reached through a pointer, so that no dynamic exclusivity check runs on it; the lock is
    // what makes its accesses exclusive.
    private final class Storage: ManagedBuffer<Value, pthread_mutex_t> {
        deinit {
            _ = withUnsafeMutablePointerToElements { pthread_mutex_destroy($0) }
        }
    }

    private let storage: Storage

    package init(_ value: Value) {
        storage = unsafeDowncast(Storage.create(minimumCapacity: 1) { _ in value }, to: Storage.self)
        storage.withUnsafeMutablePointerToElements { mutex in
            mutex.initialize(to: pthread_mutex_t())
            _ = pthread_mutex_init(mutex, nil)
        }
    }

    /// Runs `body` on the value with the lock held.
    package func withLock<Result, Failure: Error>(
        _ body: (inout Value) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        try storage.withUnsafeMutablePointers { value, mutex throws(Failure) -> Result in
            pthread_mutex_lock(mutex)
            defer { pthread_mutex_unlock(mutex) }
            return try body(&value.pointee)
        }
    }
}
