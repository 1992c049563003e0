/// A key for a value stored in a ``RequestContext``; the key type names the value's type.
///
/// ```swift
/// enum TenantKey: RequestContextKey { typealias Value = Tenant }
/// extension RequestContext {
///     var tenant: Tenant? { self[TenantKey.self] }
/// }
/// ```
public protocol RequestContextKey {
    /// The type of the stored value.
    associatedtype Value: Sendable
}
