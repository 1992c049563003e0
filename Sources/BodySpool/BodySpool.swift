import Locking
import NIOCore

/// Where bodies wait while they are authenticated or signed: in memory up to a threshold per body
/// and a budget for all bodies together, beyond either in a temporary file.
///
/// ```swift
/// let spool = try BodySpool(configuration: .init(directory: "/var/tmp"))
/// let body = spool.makeBody()
/// for try await chunk in request.body { try body.append(chunk) }
/// for try await chunk in body.chunks() { … }
/// ```
///
/// A spool file has no name (Linux's `O_TMPFILE`, elsewhere a file unlinked as soon as it is
/// created) and mode 0600: nothing else can open it, and nothing of it outlives its body or the
/// process, even one that is killed. Creating a spool checks that its directory can be written,
/// so that a misconfigured directory is reported when a server starts, not at its first large
/// request.
public final class BodySpool: Sendable {
    /// How a spool keeps bodies.
    public struct Configuration: Sendable {
        /// Where spool files are made: `$TMPDIR`, else `/tmp`, by default.
        public var directory: String
        /// How much of one body is kept in memory before the whole body goes to a file: 1 MiB by
        /// default. Bodies up to this size are never written to disk while the budget lasts.
        public var memoryThreshold: Int
        /// How many bytes all of the spool's bodies together keep in memory: 32 MiB by default.
        /// A body that would pass it goes to a file, whatever its size.
        public var memoryBudget: Int

        /// Creates a configuration.
        public init(
            directory: String = BodySpool.defaultDirectory,
            memoryThreshold: Int = 1024 * 1024,
            memoryBudget: Int = 32 * 1024 * 1024
        ) {
            self.directory = directory
            self.memoryThreshold = memoryThreshold
            self.memoryBudget = memoryBudget
        }
    }

    /// `$TMPDIR` if set, else `/tmp`.
    public static var defaultDirectory: String {
        let directory = Environment.value(of: "TMPDIR") ?? ""
        return directory.isEmpty ? "/tmp" : directory
    }

    /// How the spool keeps bodies.
    public let configuration: Configuration
    private let budget: Locked<Int>

    /// Creates a spool after checking that a spool file can be made in its directory.
    ///
    /// - Throws: ``BodySpoolError`` when the directory cannot be written.
    public init(configuration: Configuration = Configuration()) throws(BodySpoolError) {
        self.configuration = configuration
        budget = Locked(configuration.memoryBudget)
        let probe = try SpoolFile(directory: configuration.directory)
        try probe.write(ByteBuffer(integer: UInt8(0)))
    }

    /// The spool that integrations use unless given one: the default configuration, shared by
    /// the whole process. Its directory is not checked up front; a server that wants it checked
    /// at start makes its own spool with ``init(configuration:)``.
    public static let standard = BodySpool(unchecked: Configuration())

    private init(unchecked configuration: Configuration) {
        self.configuration = configuration
        budget = Locked(configuration.memoryBudget)
    }

    /// A new, empty body.
    public func makeBody() -> SpooledBody {
        SpooledBody(spool: self)
    }

    /// How many bytes the spool's bodies keep in memory now.
    public var bytesInMemory: Int {
        configuration.memoryBudget - budget.withLock { $0 }
    }

    /// Takes `count` bytes of the memory budget, if that many are left.
    func reserve(_ count: Int) -> Bool {
        budget.withLock { left in
            guard left >= count else { return false }
            left -= count
            return true
        }
    }

    /// Gives `count` bytes back to the memory budget.
    func release(_ count: Int) {
        guard count > 0 else { return }
        budget.withLock { $0 += count }
    }
}
