import Locking

/// Serializes OpenSSL's key decoders and encoders within the process.
///
/// OpenSSL 3.0 fills its provider method caches lazily, and a decode racing that fill on another
/// thread has been seen to fail with "unsupported" for a perfectly valid key. Key loading is rare
/// (at start-up and on a key-cache miss), so one lock costs nothing measurable, while signing and
/// verifying, which use prepared per-key contexts, never take it. Key generation, which can take a
/// second, does not take it either.
enum OpenSSLKeyCodec {
    private static let lock = Locked(())

    /// How many times a decode that failed is tried again before the failure is reported.
    static let decodeRetries = 2

    static func serialized<Result, Failure: Error>(_ body: () throws(Failure) -> Result) throws(Failure) -> Result {
        try lock.withLock { _ throws(Failure) -> Result in try body() }
    }
}
