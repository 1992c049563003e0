import Locking
public import Logging

/// A log handler that keeps what it is given, for tests that check what was logged.
public struct RecordingLogHandler: LogHandler {
    /// One logged message.
    public struct Record: Sendable {
        public let level: Logger.Level
        public let message: String
        public let metadata: Logger.Metadata
    }

    /// Everything logged through handlers made by one ``logger(level:)`` call.
    public final class Records: Sendable {
        private let records = Locked<[Record]>([])

        /// The records so far, oldest first.
        public var all: [Record] { records.withLock { $0 } }

        fileprivate func append(_ record: Record) {
            records.withLock { $0.append(record) }
        }
    }

    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    private let records: Records

    /// A logger that records every message at `level` and above, and what it recorded.
    public static func logger(level: Logger.Level = .trace) -> (Logger, Records) {
        let records = Records()
        let logger = Logger(label: "test") { _ in RecordingLogHandler(logLevel: level, records: records) }
        return (logger, records)
    }

    private init(logLevel: Logger.Level, records: Records) {
        self.logLevel = logLevel
        self.records = records
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        records.append(
            Record(
                level: event.level, message: event.message.description,
                metadata: metadata.merging(event.metadata ?? [:]) { $1 }))
    }
}
