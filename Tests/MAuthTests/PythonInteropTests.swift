import Foundation
import HTTPTypes
import MAuthTestSupport
import Testing

@testable import MAuth

/// The Python reference client (PyPI `mauth-client`) and this library accept each other's
/// signatures. `Tests/Interop/mauth_python.py` runs the package's own signer and authenticator.
@Suite(
    "Interop with the Python reference client",
    .enabled(if: PythonReference.interpreter != nil, Comment(rawValue: PythonReference.absentMessage)))
struct PythonInteropTests {
    struct Request: Sendable, CustomStringConvertible {
        let method: String
        let target: String
        let body: [UInt8]
        /// Python mis-canonicalizes this target (PROTOCOL.md §4.2, §11), so its verifier rejects
        /// correct V2 signatures of it; this library accepts Python's form instead.
        var pythonVerifierDisagreesOnV2 = false
        /// Python's URL parser drops `;parameters` from the last segment, for every version.
        var pythonVerifierDisagrees = false

        var description: String { "\(method) \(target)" }
    }

    static let binaryBody: [UInt8] = (0...255).map(UInt8.init) + [0, 0, 0xFF, 0xFE, 0x0A, 0x0D]

    static let requests: [Request] = [
        Request(method: "POST", target: "/v1/items", body: Array(#"{"a":1}"#.utf8)),
        Request(method: "GET", target: "/v1/items/%E2%82%AC/", body: []),
        Request(method: "GET", target: "/files/%e2%82%ac", body: []),
        Request(method: "GET", target: "/v1/search?b=2&a=1&a=%41&q=x+y&tilde=%7E", body: []),
        Request(method: "GET", target: "/a/./b/../c", body: []),
        Request(method: "PUT", target: "/upload?x=1", body: binaryBody),
        Request(method: "POST", target: "/v1/items/", body: []),
        Request(method: "GET", target: "/café?q=é", body: []),
        Request(method: "DELETE", target: "/x?a=1&", body: []),
        Request(method: "GET", target: "/x?flag&a=b=c", body: []),
        Request(method: "GET", target: "/a//../b?z=%20&y=+", body: []),
        Request(
            method: "PATCH", target: "/files?r=%2Fhome%2F", body: Array("x".utf8), pythonVerifierDisagreesOnV2: true),
        Request(method: "GET", target: "/x?k=%FF", body: [], pythonVerifierDisagreesOnV2: true),
        Request(method: "GET", target: "/a;p=1/b;v=2", body: [], pythonVerifierDisagrees: true),
    ]

    static let time: Int64 = 1_700_000_000

    @Test("requests signed by Python authenticate here", arguments: ["v1", "v2", "v1,v2"])
    func pythonSigns(versions: String) async throws {
        let results = try await PythonReference.run(
            mode: "sign",
            input: [
                "app_uuid": Fixtures.appUUID,
                "private_key_pem": Fixtures.privateKeyPEM,
                "sign_versions": versions,
                "time": Self.time,
                "requests": Self.requests.map {
                    ["method": $0.method, "url": $0.target, "body_base64": Data($0.body).base64EncodedString()]
                },
            ]
        )
        try #require(results.count == Self.requests.count)
        let authenticator = Fixtures.authenticator(now: Self.time)
        let expectedVersion: MAuthProtocolVersion = versions.contains("v2") ? .v2 : .v1
        for (request, result) in zip(Self.requests, results) {
            let pythonHeaders = try #require(
                result["headers"] as? [String: String], "Python did not sign \(request): \(result)")
            var fields = HTTPFields()
            for (name, value) in pythonHeaders {
                fields.append(HTTPField(name: try #require(HTTPField.Name(name)), value: value))
            }
            do {
                let identity = try await authenticator.authenticate(
                    method: request.method, target: MAuthRequestTarget(request.target), headers: fields,
                    body: request.body
                )
                #expect(identity == MAuthIdentity(appUUID: Fixtures.appUUID, version: expectedVersion), "\(request)")
            } catch {
                Issue.record("Python-signed \(request) (\(versions)) was rejected: \(error.message)")
            }
            if !request.pythonVerifierDisagreesOnV2, !request.pythonVerifierDisagrees {
                let ours = try Fixtures.signer(versions: try MAuthProtocolVersion.list(from: versions), time: Self.time)
                    .headers(
                        method: request.method, target: MAuthRequestTarget(request.target), body: request.body
                    )
                for field in ours {
                    #expect(
                        pythonHeaders[field.name.rawName] == field.value,
                        "\(request): \(field.name) differs from Python's")
                }
            }
        }
    }

    @Test(
        "requests signed here authenticate with Python's verifier",
        arguments: [[MAuthProtocolVersion.v1], [.v2], [.v1, .v2]])
    func swiftSigns(versions: [MAuthProtocolVersion]) async throws {
        let signer = Fixtures.signer(versions: versions, time: Self.time)
        for v2Only in versions.contains(.v2) ? [false, true] : [false] {
            // Without V2-only, Python falls back to V1 where its V2 canonicalization disagrees.
            let v1Available = versions.contains(.v1) && !v2Only
            let requests = Self.requests.filter {
                !$0.pythonVerifierDisagrees && (v1Available || !$0.pythonVerifierDisagreesOnV2)
            }
            let signed = try requests.map { request in
                let fields = try signer.headers(
                    method: request.method, target: MAuthRequestTarget(request.target), body: request.body)
                return [
                    "method": request.method, "url": request.target,
                    "body_base64": Data(request.body).base64EncodedString(),
                    "headers": Dictionary(fields.map { ($0.name.rawName, $0.value) }, uniquingKeysWith: { $1 }),
                ] as [String: Any]
            }
            let results = try await PythonReference.run(
                mode: "verify",
                input: [
                    "public_key_pem": Fixtures.publicKeyPEM, "time": Self.time, "v2_only": v2Only, "requests": signed,
                ]
            )
            try #require(results.count == requests.count)
            for (request, result) in zip(requests, results) {
                #expect(
                    result["authentic"] as? Bool == true,
                    "Python rejected \(request) signed with \(versions), v2_only=\(v2Only): \(result)")
            }
        }
    }

    @Test("Python's verifier rejects a tampered Swift signature")
    func pythonRejectsTampering() async throws {
        let request = Self.requests[0]
        let fields = try Fixtures.signer(versions: [.v2], time: Self.time).headers(
            method: request.method, target: MAuthRequestTarget(request.target), body: request.body
        )
        let results = try await PythonReference.run(
            mode: "verify",
            input: [
                "public_key_pem": Fixtures.publicKeyPEM, "time": Self.time, "v2_only": false,
                "requests": [
                    [
                        "method": request.method, "url": request.target,
                        "body_base64": Data("tampered".utf8).base64EncodedString(),
                        "headers": Dictionary(fields.map { ($0.name.rawName, $0.value) }, uniquingKeysWith: { $1 }),
                    ] as [String: Any]
                ],
            ]
        )
        #expect(results.first?["authentic"] as? Bool == false)
        #expect(results.first?["status"] as? Int == 401)
    }
}
