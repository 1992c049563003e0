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
        public var coreContext: CoreRequestContextStorage
        public var mauthIdentity: MAuthIdentity?

        public init(source: ApplicationRequestContextSource) {
            self.coreContext = .init(source: source)
        }
    }
#endif
