// Measures the protocol core and sets each RSA figure beside OpenSSL's own `openssl speed rsa2048`
// on the same machine. Run in release mode, ideally pinned to one core:
//
//     scripts/benchmark
import Foundation
import HTTPPipeline
import HTTPPipelineServer
import HTTPTypes
import Logging
import MAuth
import MAuthDevelopmentService
import MAuthService

/// Keeps results alive so the optimizer cannot drop the work that produced them.
nonisolated(unsafe) var sink = 0

/// Median nanoseconds per call over `rounds` rounds of at least `roundDuration` each.
func nanosecondsPerCall(rounds: Int = 5, roundDuration: Duration = .milliseconds(600), _ body: () async throws -> Void)
    async rethrows -> Double
{
    let clock = ContinuousClock()
    let warmUpEnd = clock.now.advanced(by: .milliseconds(200))
    while clock.now < warmUpEnd { try await body() }
    var perCall: [Double] = []
    for _ in 0..<rounds {
        var calls = 0
        let start = clock.now
        var elapsed = Duration.zero
        repeat {
            for _ in 0..<16 { try await body() }
            calls += 16
            elapsed = start.duration(to: clock.now)
        } while elapsed < roundDuration
        perCall.append(
            (Double(elapsed.components.seconds) * 1e9 + Double(elapsed.components.attoseconds) / 1e9) / Double(calls)
        )
    }
    return perCall.sorted()[rounds / 2]
}

/// OpenSSL's own RSA-2048 sign and verify times, in nanoseconds, from the saved output of
/// `openssl speed -seconds N rsa2048` (scripts/benchmark runs it first: run from inside a Swift
/// process, `openssl speed` never sees the alarm that ends each of its rounds).
///
/// The figure is the operation count over the wall-clock seconds each round ran ("Doing 2048 bits
/// private rsa's for 3s: 6900 …"), like the figures measured here; `openssl speed`'s own per-op
/// columns divide by the CPU time the kernel reports, which some sandboxes under-report.
func opensslRSA2048(speedOutput path: String) -> (sign: Double, verify: Double)? {
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
    func nanoseconds(_ kind: String) -> Double? {
        // "Doing 2048 bits private rsa's for 3s: 6900 2048 bits private RSA's in 3.00s"
        guard
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix("Doing 2048 bits \(kind) rsa's for ") }),
            let colon = line.firstIndex(of: ":")
        else { return nil }
        let head = line[..<colon].split(separator: " ")
        let tail = line[line.index(after: colon)...].split(separator: " ")
        guard let secondsText = head.last, let seconds = Double(secondsText.dropLast()),
            let countText = tail.first, let count = Double(countText), count > 0
        else { return nil }
        return seconds * 1e9 / count
    }
    guard let sign = nanoseconds("private"), let verify = nanoseconds("public") else { return nil }
    return (sign, verify)
}

/// Everything runs here, off the main actor, the way a server calls the library: top-level code
/// would hop to the main actor around every `await` and measure the hops.
enum Benchmark {
    static func run(openssl: (sign: Double, verify: Double)?) async throws {
        let appUUID = "836a454e-7f14-4192-8f5a-2a9d3d66f70c"
        let time: Int64 = 1_700_000_000
        let key = try MAuthPrivateKey.generate(bits: 2048)
        let publicKey = key.publicKey
        let target = MAuthRequestTarget(
            "/api/v1/studies/9a8b7c6d/subjects?page=2&per_page=50&sort=name&status=active&include=sites&q=smith+jones")
        let body = [UInt8](repeating: UInt8(ascii: "x"), count: 1024)
        let signer = try MAuthSigner(appUUID: appUUID, privateKey: key, versions: [.v1, .v2], clock: .fixed(time))

        let v1StringToSign = MAuthStringToSign.request(
            version: .v1, method: "POST", target: target, body: body, appUUID: appUUID, time: String(time))
        let v2StringToSign = MAuthStringToSign.request(
            version: .v2, method: "POST", target: target, body: body, appUUID: appUUID, time: String(time))
        let v1Signature = try signer.signature(of: v1StringToSign, version: .v1)
        let v2Signature = try signer.signature(of: v2StringToSign, version: .v2)

        print("Measuring (median of 5 rounds; RSA-2048 key; request: 5 path segments, 6 query parameters, 1 KiB body)…")
        let stringToSignV1 = await nanosecondsPerCall {
            sink &+=
                MAuthStringToSign.request(
                    version: .v1, method: "POST", target: target, body: body, appUUID: appUUID, time: "1700000000"
                ).count
        }
        let stringToSignV2NoBody = await nanosecondsPerCall {
            sink &+=
                MAuthStringToSign.request(
                    version: .v2, method: "GET", target: target, body: [UInt8](), appUUID: appUUID, time: "1700000000"
                ).count
        }
        let stringToSignV2 = await nanosecondsPerCall {
            sink &+=
                MAuthStringToSign.request(
                    version: .v2, method: "POST", target: target, body: body, appUUID: appUUID, time: "1700000000"
                ).count
        }
        let signV1 = try await nanosecondsPerCall {
            sink &+= try signer.signature(of: v1StringToSign, version: .v1).utf8.count
        }
        let signV2 = try await nanosecondsPerCall {
            sink &+= try signer.signature(of: v2StringToSign, version: .v2).utf8.count
        }
        let verifyV1 = await nanosecondsPerCall {
            precondition(publicKey.isValidSignature(v1Signature, of: v1StringToSign, version: .v1))
        }
        let verifyV2 = await nanosecondsPerCall {
            precondition(publicKey.isValidSignature(v2Signature, of: v2StringToSign, version: .v2))
        }

        let authenticator = MAuthAuthenticator(
            keyProvider: InMemoryPublicKeyProvider([appUUID: publicKey]),
            options: .init(clock: .fixed(time))
        )
        let v1Headers = try signer.headers(method: "POST", target: target, body: body, versions: [.v1])
        let v2Headers = try signer.headers(method: "POST", target: target, body: body, versions: [.v2])
        let authenticateV1 = try await nanosecondsPerCall {
            sink &+= try await authenticator.authenticate(
                method: "POST", target: target, headers: v1Headers, body: body
            )
            .version.number
        }
        let authenticateV2 = try await nanosecondsPerCall {
            sink &+= try await authenticator.authenticate(
                method: "POST", target: target, headers: v2Headers, body: body
            )
            .version.number
        }

        // Key lookups through a MAuth service: the development service on a free local port.
        let keys = FileManager.default.temporaryDirectory.appendingPathComponent("mauth-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: keys, withIntermediateDirectories: true)
        try publicKey.pem.write(to: keys.appendingPathComponent("\(appUUID).pub"), atomically: true, encoding: .utf8)
        var quiet = Logger(label: "benchmark.service")
        quiet.logLevel = .warning
        let service = HTTPServer(
            configuration: HTTPServerConfiguration(port: 0),
            handler: DevelopmentMAuthService(keysDirectory: keys.path),
            logger: quiet
        )
        let serviceTask = Task { try await service.run() }
        let servicePort = try await service.listeningPorts().cleartext
        let serviceClient = MAuthServiceClient(baseURL: "http://127.0.0.1:\(servicePort)", signer: signer)
        let serviceKeys = MAuthServiceKeyProvider(client: serviceClient)
        _ = try await serviceKeys.publicKey(forAppUUID: appUUID)
        let warmLookup = try await nanosecondsPerCall {
            sink &+= try await serviceKeys.publicKey(forAppUUID: appUUID) == nil ? 0 : 1
        }
        let throughService = MAuthAuthenticator(keyProvider: serviceKeys, options: .init(clock: .fixed(time)))
        let authenticateV2Service = try await nanosecondsPerCall {
            sink &+= try await throughService.authenticate(
                method: "POST", target: target, headers: v2Headers, body: body
            )
            .version.number
        }
        var coldLookups: [Double] = []
        for _ in 0..<20 {
            let cold = MAuthServiceKeyProvider(client: serviceClient)
            let start = ContinuousClock.now
            _ = try await cold.publicKey(forAppUUID: appUUID)
            let elapsed = start.duration(to: .now)
            coldLookups.append(Double(elapsed.components.seconds) * 1e9 + Double(elapsed.components.attoseconds) / 1e9)
        }
        let coldLookup = coldLookups.sorted()[coldLookups.count / 2]
        serviceTask.cancel()

        func microseconds(_ nanoseconds: Double) -> String { String(format: "%9.2f µs", nanoseconds / 1000) }

        func row(_ name: String, _ ours: Double, versus baseline: Double?, target: String) {
            let ratio = baseline.map { String(format: "%6.3f×", ours / $0) } ?? "      "
            let base = baseline.map(microseconds) ?? "            "
            print(
                "\(name.padding(toLength: 36, withPad: " ", startingAt: 0)) \(microseconds(ours))  \(base)  \(ratio)  \(target)"
            )
        }

        print("")
        print("operation                                swift-mauth     openssl     ratio  target")
        row("string-to-sign V1", stringToSignV1, versus: nil, target: "< 2 µs")
        row("string-to-sign V2", stringToSignV2, versus: nil, target: "< 2 µs")
        row("string-to-sign V2, no body", stringToSignV2NoBody, versus: nil, target: "")
        row("sign V1", signV1, versus: openssl?.sign, target: "≤ 1.10×")
        row("sign V2", signV2, versus: openssl?.sign, target: "≤ 1.10×")
        row("verify V1", verifyV1, versus: openssl?.verify, target: "≤ 1.10×")
        row("verify V2", verifyV2, versus: openssl?.verify, target: "≤ 1.10×")
        row("authenticate() V1, in-memory key", authenticateV1, versus: openssl?.verify, target: "")
        row("authenticate() V2, in-memory key", authenticateV2, versus: openssl?.verify, target: "")
        row("key lookup, warm service cache", warmLookup, versus: nil, target: "< 1 µs")
        row("authenticate() V2, service cache", authenticateV2Service, versus: nil, target: "in-memory + < 1 µs")
        row("key lookup, cold (one round trip)", coldLookup, versus: nil, target: "")
        if openssl == nil {
            print("(no `openssl speed rsa2048` output was given, so there are no ratios; run scripts/benchmark)")
        }
        if sink == 42 { print("") }
    }
}

let openssl = CommandLine.arguments.dropFirst().first.flatMap { opensslRSA2048(speedOutput: $0) }
try await Benchmark.run(openssl: openssl)
