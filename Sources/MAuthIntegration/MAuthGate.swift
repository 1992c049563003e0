public import BodySpool
public import HTTPTypes
public import Logging
public import MAuth

/// The decisions every MAuth integration makes about a request, in one place: whether its path
/// is exempt, whether its body is too large, and whether it is authentic — and, when it is not,
/// the answer and the log line.
///
/// `MAuthMiddleware`, the Hummingbird, Vapor and OpenAPI middlewares and `mauth gate` each read
/// the request their framework's way and hand it to ``decide(method:target:headers:body:logger:)``,
/// so all of them answer the same request the same way.
///
/// ```swift
/// let gate = MAuthGate(authenticator: authenticator, exemptPaths: ["/app_status"])
/// switch try await gate.decide(method: "POST", target: target, headers: headers, body: body, logger: logger) {
/// case .pass: // serve the request as it came
/// case .authenticated(let identity, let body): // serve it as identity.appUUID, with body
/// case .rejected(let rejection): // answer rejection.status with rejection.body
/// }
/// ```
public struct MAuthGate: Sendable {
    /// How an inauthentic request's failure is worded in the response body.
    ///
    /// Why the server could not decide is never told to the caller: that answer is always
    /// `Could not determine request authenticity`, and the reason goes to the log.
    public enum ErrorMessages: Sendable {
        /// The authenticator's own message, as the Python client answers: a caller learns why its
        /// own request is inauthentic.
        case detailed
        /// The Ruby client's fixed message, `Unauthorized`; details go to the log only.
        case generic
    }

    /// Whether a request must be signed.
    public enum Requirement: Sendable {
        /// Every request that is not exempt is authenticated; an unsigned one answers 401.
        case required
        /// A request without any MAuth header passes with no identity, and the handler decides
        /// what it may see; a request with MAuth headers is authenticated as usual, and answers 401
        /// when its signature does not hold.
        case optional
    }

    /// The default limit on request bodies: 10 MiB.
    public static let defaultMaxBodySize = 10 * 1024 * 1024

    /// The largest body whose rejected signature is explained in the debug log: the search
    /// hashes a V1 body once per candidate, and it runs before the rejection is sent.
    public static let largestBodyExplained = 64 * 1024

    /// Checks the signatures.
    public let authenticator: MAuthAuthenticator
    /// Paths that skip authentication.
    public let exemptPaths: ExemptPaths
    /// The largest body read for authentication; larger bodies answer 413.
    public let maxBodySize: Int
    /// How failures are worded.
    public let errorMessages: ErrorMessages
    /// Whether a request must be signed.
    public let requirement: Requirement
    /// Where bodies wait while they are authenticated: in memory up to the spool's threshold,
    /// then in a temporary file.
    public let spool: BodySpool

    /// Creates a gate.
    ///
    /// - Parameters:
    ///   - authenticator: checks the signatures.
    ///   - exemptPaths: paths that skip authentication.
    ///   - maxBodySize: the largest body read; larger ones answer 413. `Int.max` turns the limit
    ///     off: a streamed body is authenticated as it arrives and kept in `spool`, so memory does
    ///     not grow with it.
    ///   - errorMessages: how failures are worded.
    ///   - spool: where bodies wait while they are authenticated; ``/BodySpool/BodySpool/standard``
    ///     unless given.
    ///   - requirement: whether a request must be signed; ``Requirement/required`` unless given.
    public init(
        authenticator: MAuthAuthenticator,
        exemptPaths: ExemptPaths = [],
        maxBodySize: Int = defaultMaxBodySize,
        errorMessages: ErrorMessages = .detailed,
        spool: BodySpool = .standard,
        requirement: Requirement = .required
    ) {
        self.authenticator = authenticator
        self.exemptPaths = exemptPaths
        self.maxBodySize = maxBodySize
        self.errorMessages = errorMessages
        self.spool = spool
        self.requirement = requirement
    }

    /// Whether the raw (still percent-encoded) path skips authentication.
    public func isExempt(rawPath: some StringProtocol) -> Bool {
        exemptPaths.contains(rawPath: Substring(rawPath))
    }

    /// Whether a request with these header fields passes with no identity: authentication is
    /// ``Requirement/optional`` and the request carries no MAuth header at all (neither version's
    /// authentication or time field). A request with any of them is authenticated.
    public func passesUnsigned(_ headers: HTTPFields) -> Bool {
        guard requirement == .optional else { return false }
        return [MAuthProtocolVersion.v2, .v1].allSatisfy { version in
            headers[version.authenticationHeader] == nil && headers[version.timeHeader] == nil
        }
    }

    /// 413 when the request declares a `Content-Length` over the limit, so that nothing need be
    /// read; `nil` otherwise.
    public func rejectionOfDeclaredLength(in headers: HTTPFields) -> MAuthRejection? {
        guard let declared = headers[.contentLength].flatMap(Int.init), declared > maxBodySize else { return nil }
        return bodyTooLarge
    }

    /// The answer to a body over the limit.
    public var bodyTooLarge: MAuthRejection { .bodyTooLarge(limit: maxBodySize) }

    /// Authenticates a request given as the method, the path and query exactly as the handler
    /// will see them, the header fields and the body bytes.
    ///
    /// A failure is logged to `logger`: at `info` for an inauthentic request, with the reason, and
    /// at `error` when authenticity cannot be determined. At `debug` an inauthentic signature is
    /// also explained (``/MAuth/MAuthSignatureExplainer``) when its body is at most
    /// ``largestBodyExplained`` bytes; the caller is never told.
    public func authenticate(
        method: String,
        target: MAuthRequestTarget,
        headers: HTTPFields,
        body: some Collection<UInt8>,
        logger: Logger
    ) async -> Result<MAuthIdentity, MAuthRejection> {
        await authenticateKeepingError(method: method, target: target, headers: headers, body: body, logger: logger)
            .mapError { MAuthRejection($0, messages: errorMessages) }
    }

    /// ``authenticate(method:target:headers:body:logger:)``, logged the same way, with the error
    /// itself rather than its answer: for a caller that adds to the answer's words.
    package func authenticateKeepingError(
        method: String,
        target: MAuthRequestTarget,
        headers: HTTPFields,
        body: some Collection<UInt8>,
        logger: Logger
    ) async -> Result<MAuthIdentity, MAuthError> {
        do {
            return .success(
                try await authenticator.authenticate(method: method, target: target, headers: headers, body: body))
        } catch {
            logFailure(error, logger: logger)
            if error.code == .inauthentic, logger.logLevel <= .debug {
                await logExplanation(method: method, target: target, headers: headers, body: body, logger: logger)
            }
            return .failure(error)
        }
    }

    /// Logs why authentication failed: at `info` for an inauthentic request, at `error` when
    /// authenticity cannot be determined.
    func logFailure(_ error: MAuthError, logger: Logger) {
        if error.code == .inauthentic {
            logger.info("MAuth rejected a request", metadata: ["reason": "\(error.message)"])
        } else {
            logger.error("MAuth could not determine request authenticity", metadata: ["reason": "\(error.message)"])
        }
    }

    private func logExplanation(
        method: String, target: MAuthRequestTarget, headers: HTTPFields, body: some Collection<UInt8>, logger: Logger
    ) async {
        guard let explainer = authenticator.explainer else { return }
        guard body.count <= Self.largestBodyExplained else {
            logger.debug(
                "MAuth signature not explained",
                metadata: ["reason": "the body is over \(Self.largestBodyExplained) bytes"])
            return
        }
        do {
            for explanation in try await explainer.explain(method: method, target: target, headers: headers, body: body)
            {
                logger.debug("MAuth signature explained", metadata: ["explanation": "\(explanation)"])
            }
        } catch {
            logger.debug("MAuth signature not explained", metadata: ["reason": "\(error.message)"])
        }
    }
}
