import Foundation
import MAuthTestSupport
import Testing

/// Runs the built `mauth` executable as a user would.
@Suite("mauth command line")
struct CommandLineTests {
    enum MAuth {
        static func run(_ arguments: [String]) async throws -> ChildProcess.Result {
            try await ChildProcess.run(try ChildProcess.mauthExecutable(), arguments)
        }
    }

    static let suite = Fixtures.suiteDirectory
    static let privateKey = Fixtures.privateKeyPath
    static let publicKey = Fixtures.publicKeyPath
    static let appUUID = Fixtures.appUUID
    static let time = "1585082925"

    @Test(
        "string-to-sign writes exactly the suite's bytes",
        arguments: ["get-vanilla", "post-vanilla-body", "get-vanilla-query-param-key-ordering"])
    func stringToSign(caseName: String) async throws {
        let folder = caseName.hasPrefix("get-vanilla-query") ? "MWSV2" : "MWS"
        let caseDirectory = Self.suite.appendingPathComponent("protocols/\(folder)/\(caseName)")
        let request =
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: caseDirectory.appendingPathComponent("\(caseName).req"))) as! [String: Any]
        var arguments = [
            "string-to-sign", "--protocol", folder == "MWS" ? "v1" : "v2", "--method", request["verb"] as! String,
            "--url", request["url"] as! String, "--app-uuid", Self.appUUID, "--time", Self.time,
        ]
        let bodyFile = try (request["body"] as? String).map { try TemporaryFile(contents: Data($0.utf8)) }
        if let bodyFile {
            arguments += ["--body-file", bodyFile.path]
        }
        let result = try await MAuth.run(arguments)
        #expect(result.status == 0)
        #expect(result.output == (try Data(contentsOf: caseDirectory.appendingPathComponent("\(caseName).sts"))))
    }

    @Test("sign then verify, for each protocol choice", arguments: ["v1", "v2", "v1,v2"])
    func signAndVerify(versions: String) async throws {
        let body = try TemporaryFile(contents: Data(#"{"name":"widget"}"#.utf8))
        let request = ["--method", "POST", "--url", "/v1/items/%E2%82%AC?b=2&a=1", "--body-file", body.path]
        let signed = try await MAuth.run(
            [
                "sign", "--protocol", versions, "--private-key-file", Self.privateKey, "--app-uuid", Self.appUUID,
                "--time", Self.time,
            ] + request
        )
        #expect(signed.status == 0)
        let headers = signed.text.split(separator: "\n").map(String.init)
        #expect(headers.count == versions.split(separator: ",").count * 2)
        let verified = try await MAuth.run(
            ["verify", "--public-key-file", Self.publicKey, "--now", Self.time] + request
                + headers.flatMap { ["--header", $0] }
        )
        #expect(verified.status == 0)
        #expect(
            verified.text == "authentic app_uuid=\(Self.appUUID) protocol=\(versions.hasSuffix("v2") ? "v2" : "v1")\n")

        let tampered = try await MAuth.run(
            [
                "verify", "--public-key-file", Self.publicKey, "--now", Self.time, "--method", "POST", "--url",
                "/v1/items/%E2%82%AC?b=2&a=1",
            ]
                + headers.flatMap { ["--header", $0] }
        )
        #expect(tampered.status == 1)
        #expect(tampered.text == "inauthentic: Signature verification failed for request.\n")
    }

    @Test("verify reports expired signatures and V2-only refusals with status 1")
    func verifyFailures() async throws {
        let signed = try await MAuth.run(
            [
                "sign", "--private-key-file", Self.privateKey, "--app-uuid", Self.appUUID, "--time", Self.time,
                "--method", "GET", "--url", "/",
            ]
        )
        let headers = signed.text.split(separator: "\n").flatMap { ["--header", String($0)] }
        let base = ["verify", "--public-key-file", Self.publicKey, "--method", "GET", "--url", "/"] + headers
        let expired = try await MAuth.run(base + ["--now", "1585083226"])
        #expect(expired.status == 1)
        #expect(expired.text == "inauthentic: Time verification failed. 1585082925 not within 300s of 1585083226\n")
        let v2Only = try await MAuth.run(base + ["--now", Self.time, "--v2-only"])
        #expect(v2Only.status == 1)
        #expect(v2Only.text.hasPrefix("inauthentic: This service requires mAuth v2"))
        let unsigned = try await MAuth.run([
            "verify", "--public-key-file", Self.publicKey, "--method", "GET", "--url", "/",
        ])
        #expect(unsigned.status == 1)
        #expect(unsigned.text.hasPrefix("inauthentic: Authentication Failed. No mAuth signature present"))
    }

    @Test(
        "usage errors exit 2 with a one-line reason",
        arguments: [
            ["sign", "--private-key-file", "/nonexistent", "--app-uuid", "a", "--method", "GET", "--url", "/"],
            [
                "sign", "--protocol", "v3", "--private-key-file", privateKey, "--app-uuid", "a", "--method", "GET",
                "--url", "/",
            ],
            ["verify", "--public-key-file", publicKey, "--method", "GET", "--url", "/", "--header", "no colon"],
            ["verify", "--public-key-file", privateKey, "--method", "GET", "--url", "/"],
            ["string-to-sign", "--protocol", "v9", "--method", "GET", "--url", "/", "--app-uuid", "a", "--time", "1"],
            [
                "string-to-sign", "--protocol", "v1", "--method", "GET", "--url", "no-slash", "--app-uuid", "a",
                "--time", "1",
            ],
            [
                "string-to-sign", "--protocol", "v1", "--method", "GET", "--url", "/", "--app-uuid", "a", "--time", "1",
                "--body-file", "/nonexistent",
            ],
            ["conformance", "/nonexistent"],
            ["no-such-command"],
            ["keygen", "--out", "/nonexistent/keys", "--bits", "1024"],
            ["keygen", "--out", "/nonexistent/keys", "--app-uuid", String(repeating: "a", count: 129)],
        ]
    )
    func usageErrors(arguments: [String]) async throws {
        let result = try await MAuth.run(arguments)
        #expect(result.status == 2)
        #expect(result.output.isEmpty)
        #expect(!result.errorText.isEmpty)
    }

    @Test("verify --explain says what each signature was made over")
    func verifyExplain() async throws {
        let signed = try await MAuth.run(
            [
                "sign", "--protocol", "v1,v2", "--private-key-file", Self.privateKey, "--app-uuid", Self.appUUID,
                "--time", Self.time, "--method", "GET", "--url", "/files/a b",
            ]
        )
        let headers = signed.text.split(separator: "\n").flatMap { ["--header", String($0)] }
        let base = ["verify", "--explain", "--public-key-file", Self.publicKey, "--method", "GET"] + headers
        let decoded = try await MAuth.run(base + ["--url", "/files/a%20b", "--now", Self.time])
        #expect(decoded.status == 1)
        let lines = decoded.text.split(separator: "\n")
        #expect(lines.first == "inauthentic: Signature verification failed for request.")
        #expect(lines.filter { $0.contains("different string to sign: the percent-decoded path") }.count == 2)
        #expect(lines.contains("    path    /files/a b"))
        #expect(lines.contains("    path    /files/a%20b"))

        let expired = try await MAuth.run(base + ["--url", "/files/a b", "--now", "1585083226"])
        #expect(expired.status == 1)
        #expect(expired.text.contains("made with this app's key over the expected string to sign"))

        let other = try await MAuth.run(base + ["--url", "/files/other", "--now", Self.time])
        #expect(other.status == 1)
        #expect(other.text.contains("a string to sign that no known client builds"))

        try await withTemporaryDirectory("other-app") { otherAppDirectory in
            let otherApp = otherAppDirectory.path
            #expect(try await MAuth.run(["keygen", "--out", otherApp, "--app-uuid", "other"]).status == 0)
            let notThisKey = try await MAuth.run(
                [
                    "verify", "--explain", "--public-key-file", otherApp + "/other.pub", "--method", "GET", "--url",
                    "/files/a b", "--now", Self.time,
                ] + headers)
            #expect(notThisKey.status == 1)
            #expect(notThisKey.text.contains("not made with this app's key"))
        }
    }

    @Test("keygen writes a working identity and never overwrites one")
    func keygen() async throws {
        try await withTemporaryDirectory("mauth-keygen") { parent in
            // Not made beforehand: keygen is to make the directory it writes to.
            let directory = parent.appendingPathComponent("keys").path
            let created = try await MAuth.run(["keygen", "--out", directory, "--app-uuid", "my-app"])
            #expect(created.status == 0)
            let attributes = try FileManager.default.attributesOfItem(atPath: directory + "/my-app.key")
            #expect((attributes[.posixPermissions] as? Int) == 0o600)
            let signed = try await MAuth.run(
                [
                    "sign", "--protocol", "v2", "--private-key-file", directory + "/my-app.key", "--app-uuid", "my-app",
                    "--method", "GET", "--url", "/",
                ]
            )
            let verified = try await MAuth.run(
                ["verify", "--public-key-file", directory + "/my-app.pub", "--method", "GET", "--url", "/"]
                    + signed.text.split(separator: "\n").flatMap { ["--header", String($0)] }
            )
            #expect(verified.text == "authentic app_uuid=my-app protocol=v2\n")
            let before = try Data(contentsOf: URL(fileURLWithPath: directory + "/my-app.key"))
            let again = try await MAuth.run(["keygen", "--out", directory, "--app-uuid", "my-app"])
            #expect(again.status == 1)
            #expect(again.errorText == "mauth: \(directory)/my-app.key already exists; not overwriting it\n")
            #expect(try Data(contentsOf: URL(fileURLWithPath: directory + "/my-app.key")) == before)
        }
    }

    @Test("conformance passes on the suite and fails on a spoiled copy")
    func conformance() async throws {
        let passing = try await MAuth.run(["conformance", Self.suite.path])
        #expect(passing.status == 0)
        #expect(passing.text.hasSuffix("9 passed, 0 failed\n"))

        try await withTemporaryDirectory("mauth-suite") { parent in
            // Not the temporary directory itself: copyItem refuses a destination that exists.
            let copy = parent.appendingPathComponent("suite")
            try FileManager.default.copyItem(at: Self.suite, to: copy)
            let sts = copy.appendingPathComponent("protocols/MWSV2/get-vanilla/get-vanilla.sts")
            try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: sts.path)
            try Data("GET\n/x\n".utf8).write(to: sts)
            let failing = try await MAuth.run(["conformance", copy.path])
            #expect(failing.status == 1)
            #expect(failing.text.contains("FAIL  MWSV2/get-vanilla\n      string-to-sign: expected \"GET\\n/x\\n\""))
            #expect(failing.text.hasSuffix("8 passed, 1 failed\n"))
        }
    }
}
