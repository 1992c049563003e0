public import Foundation

/// Finds and runs the Python interpreter that has `mauth-client` installed.
public enum PythonReference {
    public static let script = Fixtures.packageRoot.appendingPathComponent("Tests/Interop/mauth_python.py")

    public static let absentMessage = """
        Python 3 was not found, so the interop tests with the Python reference client are skipped. \
        Install Python 3, then: python3 -m venv .venv && .venv/bin/pip install mauth-client requests uvicorn h2 opentelemetry-proto
        """

    /// `MAUTH_PYTHON`, else the package's `.venv`, else `python3` on the PATH.
    public static let interpreter: String? = {
        let environment = ProcessInfo.processInfo.environment
        if let configured = environment["MAUTH_PYTHON"], !configured.isEmpty { return configured }
        let venv = Fixtures.packageRoot.appendingPathComponent(".venv/bin/python3").path
        if FileManager.default.isExecutableFile(atPath: venv) { return venv }
        for directory in (environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let candidate = "\(directory)/python3"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }()

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public static func run(mode: String, input: [String: Any], environment: [String: String] = [:]) async throws
        -> [[String: Any]]
    {
        let result = try await ChildProcess.run(
            URL(fileURLWithPath: interpreter!),
            [script.path, mode],
            input: try JSONSerialization.data(withJSONObject: input),
            environment: ProcessInfo.processInfo.environment.merging(environment) { $1 }
        )
        let output = result.output
        guard result.status == 0 else {
            throw Failure(
                description: "the Python reference client failed (\(interpreter!)): "
                    + "\(result.errorText.trimmingCharacters(in: .whitespacesAndNewlines)) — "
                    + "install it with: python3 -m venv .venv && .venv/bin/pip install mauth-client requests uvicorn h2 opentelemetry-proto"
            )
        }
        guard let document = try JSONSerialization.jsonObject(with: output) as? [String: Any],
            let results = document["results"] as? [[String: Any]]
        else {
            throw Failure(
                description:
                    "the Python reference client printed no results: \(String(decoding: output, as: UTF8.self))")
        }
        return results
    }

    /// Starts `Tests/Interop/python_server.py` (`wsgi` or `asgi`): the Python reference
    /// middleware, signing its calls to the MAuth service at `serviceURL` as the protocol test
    /// suite's app.
    public static func startMiddlewareServer(kind: String, serviceURL: String) async throws -> RunningMAuth {
        guard let interpreter else { throw Failure(description: absentMessage) }
        var environment = ProcessInfo.processInfo.environment
        environment["APP_UUID"] = Fixtures.appUUID
        environment["PRIVATE_KEY"] = Fixtures.privateKeyPEM
        environment["MAUTH_URL"] = serviceURL
        environment["MAUTH_API_VERSION"] = "v1"
        return try await RunningMAuth(
            executable: URL(fileURLWithPath: interpreter),
            [Fixtures.packageRoot.appendingPathComponent("Tests/Interop/python_server.py").path, kind],
            readyWhen: "listening on", environment: environment)
    }
}
