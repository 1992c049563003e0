import Foundation
import Locking
import MAuth

#if canImport(Glibc)
    import Glibc
#endif

/// nginx (Debian's `nginx-light`) running in the foreground from a configuration of the test's
/// own, in a temporary directory, on free loopback ports: never as a system service.
public final class RunningNginx: @unchecked Sendable {
    // Sendable: every stored property is set before the initializer returns.
    private let process = Process()
    private let termination: ProcessExit
    private let directory: TemporaryDirectory
    private let log = Locked("")
    /// The ports the configuration's servers listen on, in the order asked for.
    public let ports: [Int]

    public static let absentMessage =
        "nginx is needed for these tests: apt-get install nginx-light (it brings auth_request and HTTP/2)"

    /// The nginx executable: on the PATH, else in /usr/sbin.
    public static let executable: String? =
        ChildProcess.find("nginx")
        ?? (FileManager.default.isExecutableFile(atPath: "/usr/sbin/nginx") ? "/usr/sbin/nginx" : nil)

    /// Starts nginx with the `http` block that `servers` makes from the free ports (`portCount` of
    /// them) and waits until it listens on them.
    public init(portCount: Int, servers: ([Int]) -> String) async throws {
        guard let executable = Self.executable else { throw ChildProcess.Failure(description: Self.absentMessage) }
        directory = try TemporaryDirectory("nginx")
        let root = directory.url.path
        ports = try (0..<portCount).map { _ in try Self.freePort() }
        let configuration = """
            daemon off;
            master_process off;
            worker_processes 1;
            pid \(root)/nginx.pid;
            error_log stderr notice;
            events { worker_connections 512; }
            http {
                access_log off;
                client_body_temp_path \(root)/client_body;
                proxy_temp_path \(root)/proxy;
                fastcgi_temp_path \(root)/fastcgi;
                uwsgi_temp_path \(root)/uwsgi;
                scgi_temp_path \(root)/scgi;
            \(servers(ports))
            }
            """
        let file = directory.url.appendingPathComponent("nginx.conf")
        try configuration.write(to: file, atomically: true, encoding: .utf8)
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["-p", root, "-c", file.path, "-e", "stderr"]
        process.standardOutput = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        let errors = Pipe()
        process.standardError = errors
        let (chunks, chunk) = AsyncStream<String>.makeStream()
        let log = log
        errors.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            guard !data.isEmpty else {
                handle.readabilityHandler = nil
                chunk.finish()
                return
            }
            let text = String(decoding: data, as: UTF8.self)
            log.withLock { $0 += text }
            chunk.yield(text)
        }
        termination = ProcessExit(watching: process)
        try process.run()
        // nginx opens its listening sockets before it sets up its event loop and says so (at
        // `notice`): from then on connections wait in the backlog until it accepts them.
        let ready = try await withTimeLimit(
            .seconds(30), timeoutError: ChildProcess.Failure(description: "nginx did not start within 30 s")
        ) {
            var text = ""
            for await part in chunks {
                text += part
                if text.contains(" event method") { return true }
            }
            return false
        }
        guard ready else {
            throw ChildProcess.Failure(description: "nginx did not start: \(log.withLock { $0 })")
        }
    }

    /// The URL of the `index`th port.
    public func baseURL(_ index: Int) -> String { "http://127.0.0.1:\(ports[index])" }

    /// What nginx wrote to its error log.
    public var errorLog: String { log.withLock { $0 } }

    /// Stops nginx. SIGKILL: a child started from the test runner's threads inherits their
    /// blocked SIGTERM and SIGQUIT, and how nginx itself stops is not under test.
    public func stop() async {
        kill(process.processIdentifier, SIGKILL)
        _ = await termination.status()
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    /// A loopback port nobody listened on a moment ago.
    private static func freePort() throws -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                bind(descriptor, address, length) == 0 && getsockname(descriptor, address, &length) == 0
            }
        }
        guard descriptor >= 0, bound else { throw ChildProcess.Failure(description: "no free loopback port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
