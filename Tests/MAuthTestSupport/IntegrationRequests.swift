import Foundation
public import HTTPTypes

/// The requests every framework integration is tried with, signed by the Python reference client,
/// and the answers every integration must give.
public enum IntegrationRequests {
    /// A request to sign: its method, raw target and body.
    public struct Case: Sendable, CustomStringConvertible {
        public let method: String
        public let target: String
        public let body: [UInt8]

        public init(_ method: String, _ target: String, body: [UInt8] = []) {
            self.method = method
            self.target = target
            self.body = body
        }

        public var description: String { "\(method) \(target)" }
    }

    /// A case and the header fields that sign it.
    public struct Signed: Sendable, CustomStringConvertible {
        public let request: Case
        public let headers: [(name: String, value: String)]
        /// The version the authenticator uses: V2 when both are signed.
        public let version: Int

        public var description: String { "\(request) v\(version)" }

        /// The header fields as `HTTPFields`.
        public var fields: HTTPFields {
            HTTPFields(
                headers.compactMap { field in HTTPField.Name(field.name).map { HTTPField(name: $0, value: field.value) }
                })
        }
    }

    /// Bodies (text, non-ASCII, every byte value), escaped and non-ASCII paths, awkward queries.
    public static let cases: [Case] = [
        Case("GET", "/"),
        Case("POST", "/echo", body: Array(#"{"name":"widget","ü":1}"#.utf8)),
        Case("PUT", "/echo?x=1", body: (0...255).map(UInt8.init) + [0x0D, 0x0A]),
        Case("GET", "/files/%E2%82%AC/a%20b"),
        Case("GET", "/caf%C3%A9?q=%C3%A9"),
        Case("GET", "/search?b=2&a=1&a=%41&q=x+y&tilde=%7E&flag"),
        Case("DELETE", "/items/7?a=1&"),
    ]

    /// The time the Python client signs at: authenticate with a clock frozen here.
    public static let time = Fixtures.time

    /// Every case signed by the Python reference client with `versions` (`v1`, `v2` or `v1,v2`).
    public static func pythonSigned(versions: String, cases: [Case] = cases) async throws -> [Signed] {
        let results = try await PythonReference.run(
            mode: "sign",
            input: [
                "app_uuid": Fixtures.appUUID, "private_key_pem": Fixtures.privateKeyPEM, "sign_versions": versions,
                "time": time,
                "requests": cases.map {
                    ["method": $0.method, "url": $0.target, "body_base64": Data($0.body).base64EncodedString()]
                },
            ])
        return try zip(cases, results).map { request, result in
            guard let headers = result["headers"] as? [String: String] else {
                throw PythonReference.Failure(description: "Python did not sign \(request): \(result)")
            }
            return Signed(
                request: request, headers: headers.map { ($0.key, $0.value) }.sorted { $0.name < $1.name },
                version: versions.contains("v2") ? 2 : 1)
        }
    }

    /// What a handler that reports its caller answers: `<app UUID> v<version>`.
    public static func caller(version: Int) -> String { "\(Fixtures.appUUID) v\(version)" }

    /// The 401 body for a request with no signature.
    public static let unsignedBody =
        #"{"errors":{"mauth":["Authentication Failed. No mAuth signature present; X-MWS-Authentication header is blank, MCC-Authentication header is blank."]}}"#
    /// The 401 body for a signature that does not match.
    public static let mismatchBody = #"{"errors":{"mauth":["Signature verification failed for request."]}}"#
    /// The 401 body for a signature made more than 300 s before `now`.
    public static func expiredBody(now: Int64) -> String {
        #"{"errors":{"mauth":["Time verification failed. \#(time) not within 300s of \#(now)"]}}"#
    }
    /// The 500 body when authenticity cannot be determined.
    public static let unableBody = #"{"errors":{"mauth":["Could not determine request authenticity"]}}"#
    /// The 413 body for a body over `limit` bytes.
    public static func tooLargeBody(limit: Int) -> String {
        #"{"error":"The request body is larger than the limit of \#(limit) bytes."}"#
    }

    /// Paths that look like the exempt `/app_status` but are not it, and must be authenticated.
    public static let exemptLookalikes = [
        "/app_status/", "/APP_STATUS", "/app_status%2F", "/app_status;x", "/%61pp_status", "/app_status/..",
        "/app_status.json",
    ]
}
