#if HummingbirdSupport
    public import Hummingbird
    public import MAuth

    /// A Hummingbird request context that can hold the MAuth identity of the caller, which
    /// ``MAuthHummingbirdMiddleware`` stores there.
    ///
    /// Add the property to a context of your own, beside any other, such as hummingbird-auth's
    /// `identity`:
    ///
    /// ```swift
    /// struct AppContext: AuthRequestContext, MAuthRequestContext {
    ///     var coreContext: CoreRequestContextStorage
    ///     var identity: User?
    ///     var mauthIdentity: MAuthIdentity?
    ///     init(source: ApplicationRequestContextSource) { coreContext = .init(source: source) }
    /// }
    /// ```
    public protocol MAuthRequestContext: RequestContext {
        /// The authenticated caller; `nil` on exempt paths and before the middleware ran.
        var mauthIdentity: MAuthIdentity? { get set }
    }

    /// The smallest ``MAuthRequestContext``: Hummingbird's basic context plus the caller's identity.
    public struct BasicMAuthRequestContext: MAuthRequestContext {
        /// Hummingbird's own per-request storage (logger, allocator, router parameters).
        public var coreContext: CoreRequestContextStorage
        /// The caller, once ``MAuthHummingbirdMiddleware`` has authenticated the request.
        public var mauthIdentity: MAuthIdentity?

        /// Creates the context Hummingbird makes for each request; no caller is known yet.
        ///
        /// - Parameter source: what the application passes in for the request.
        public init(source: ApplicationRequestContextSource) {
            self.coreContext = .init(source: source)
        }
    }
#endif
