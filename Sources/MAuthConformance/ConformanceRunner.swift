import Foundation
import HTTPTypes
import MAuth

/// Runs the four checks of PROTOCOL.md §10 on one case.
struct ConformanceRunner {
    let suite: ConformanceSuite
    let testCase: ConformanceCase

    private struct Request {
        let method: String
        let target: MAuthRequestTarget
        let body: [UInt8]
    }

    func run() async -> ConformanceResult {
        var checks: [String] = []
        var failures: [String] = []
        func check(_ name: String, _ body: () async throws -> String?) async {
            checks.append(name)
            do {
                if let failure = try await body() {
                    failures.append("\(name): \(failure)")
                }
            } catch {
                failures.append("\(name): \(error)")
            }
        }

        let request: Request
        let expectedHeaders: [String: String]
        do {
            request = try readRequest()
            expectedHeaders = try readHeaders()
        } catch {
            return ConformanceResult(testCase: testCase, checks: ["read"], failures: ["read: \(error)"])
        }
        let signer: MAuthSigner
        do {
            signer = try MAuthSigner(
                appUUID: suite.appUUID,
                privateKey: suite.privateKey,
                versions: [testCase.version],
                clock: .fixed(suite.requestTime)
            )
        } catch {
            return ConformanceResult(testCase: testCase, checks: ["signer"], failures: ["signer: \(error)"])
        }
        let time = String(suite.requestTime)
        let built = MAuthStringToSign.request(
            version: testCase.version,
            method: request.method,
            target: request.target,
            body: request.body,
            appUUID: suite.appUUID,
            time: time
        )

        if !testCase.isAuthenticationOnly {
            let expectedStringToSign = try? Data(contentsOf: testCase.file("sts"))
            if let expectedStringToSign {
                await check("string-to-sign") {
                    built == Array(expectedStringToSign)
                        ? nil : "expected \(Self.quoted(Array(expectedStringToSign))), built \(Self.quoted(built))"
                }
            }
            if let expectedSignature = try? String(contentsOf: testCase.file("sig"), encoding: .utf8) {
                await check("signature") {
                    let signature = try signer.signature(
                        of: expectedStringToSign.map(Array.init) ?? built,
                        version: testCase.version
                    )
                    let expected = expectedSignature.trimmingCharacters(in: .whitespacesAndNewlines)
                    return signature == expected ? nil : "expected \(expected), signed \(signature)"
                }
            }
            await check("headers") {
                let fields = try signer.headers(method: request.method, target: request.target, body: request.body)
                var mismatches: [String] = []
                for (name, expected) in expectedHeaders.sorted(by: { $0.key < $1.key }) {
                    let actual = HTTPField.Name(name).flatMap { fields[$0] } ?? "(absent)"
                    if actual != expected {
                        mismatches.append("\(name) expected '\(expected)', built '\(actual)'")
                    }
                }
                return mismatches.isEmpty ? nil : mismatches.joined(separator: "; ")
            }
        }
        await check("authenticate") {
            var headers = HTTPFields()
            for (name, value) in expectedHeaders {
                guard let fieldName = HTTPField.Name(name) else { return "invalid header name '\(name)' in .authz" }
                headers.append(HTTPField(name: fieldName, value: value))
            }
            let authenticator = MAuthAuthenticator(
                keyProvider: InMemoryPublicKeyProvider([suite.appUUID: suite.publicKey]),
                options: .init(acceptsClientVariants: false, clock: .fixed(suite.requestTime))
            )
            do {
                let identity = try await authenticator.authenticate(
                    method: request.method,
                    target: request.target,
                    headers: headers,
                    body: request.body
                )
                return identity == MAuthIdentity(appUUID: suite.appUUID, version: testCase.version)
                    ? nil
                    : "authenticated as \(identity), expected app_uuid=\(suite.appUUID) protocol=\(testCase.version)"
            } catch {
                return "not authentic: \(error)"
            }
        }
        return ConformanceResult(testCase: testCase, checks: checks, failures: failures)
    }

    private func readRequest() throws -> Request {
        let object = try JSONFile.object(at: testCase.file("req"))
        guard let method = object["verb"] as? String, let url = object["url"] as? String else {
            throw ConformanceSuiteError("\(testCase.name).req needs string 'verb' and 'url'")
        }
        var body: [UInt8] = []
        if let text = object["body"] as? String {
            body = Array(text.utf8)
        } else if let bodyPath = object["body_filepath"] as? String {
            let url = testCase.directory.appendingPathComponent(bodyPath)
            guard let data = try? Data(contentsOf: url) else {
                throw ConformanceSuiteError("cannot read the body file \(url.path)")
            }
            body = Array(data)
        }
        return Request(method: method, target: MAuthRequestTarget(url: url), body: body)
    }

    private func readHeaders() throws -> [String: String] {
        let object = try JSONFile.object(at: testCase.file("authz"))
        var headers: [String: String] = [:]
        for (name, value) in object {
            switch value {
            case let text as String: headers[name] = text
            case let number as NSNumber: headers[name] = number.stringValue
            default: throw ConformanceSuiteError("\(testCase.name).authz: '\(name)' is neither a string nor a number")
            }
        }
        return headers
    }

    /// Bytes shown with LF as `\n` and non-printable bytes as `\xHH`, so a mismatch is visible
    /// on one line.
    static func quoted(_ bytes: [UInt8]) -> String {
        var text = "\""
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\n"): text += "\\n"
            case UInt8(ascii: "\""): text += "\\\""
            case 0x20..<0x7F: text.append(Character(Unicode.Scalar(byte)))
            default: text += "\\x" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return text + "\""
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}
