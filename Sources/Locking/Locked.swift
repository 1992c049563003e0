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
package final class Locked<Value>: @unchecked Sendable {
    // Safe to share: the value is read and written only inside `withLock`, with `mutex` held. It
    // lives behind a pointer, so that no dynamic exclusivity check runs on it; the lock is what
    // makes its accesses exclusive.
    private let value: UnsafeMutablePointer<Value>
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    package init(_ value: Value) {
        self.value = UnsafeMutablePointer.allocate(capacity: 1)
        self.value.initialize(to: value)
        mutex = UnsafeMutablePointer.allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
        value.deinitialize(count: 1)
        value.deallocate()
    }

    /// Runs `body` on the value with the lock held.
    package func withLock<Result, Failure: Error>(
        _ body: (inout Value) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value.pointee)
    }
}
