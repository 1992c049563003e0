extension Array where Element == UInt8 {
    /// `init(unsafeUninitializedCapacity:initializingWith:)`, always over storage of its own.
    ///
    /// That initializer sets the count of the storage it fills, and for a capacity of 0 that is the
    /// standard library's one empty array, shared by every thread: two threads making empty arrays
    /// at once write it together, which ThreadSanitizer reports as a race. A capacity of at least
    /// one byte costs one small allocation for an empty result, and `body` still runs.
    init(
        unsharedCapacity capacity: Int,
        initializingWith body: (inout UnsafeMutableBufferPointer<UInt8>, inout Int) throws -> Void
    ) rethrows {
        try self.init(unsafeUninitializedCapacity: Swift.max(capacity, 1), initializingWith: body)
    }
}
