import Foundation
import Locking
import Logging

/// Writes log lines to standard error the way swift-log's `StreamLogHandler` formats them, but
/// through a buffer: lines below `warning` reach the terminal within 50 ms, in batches, instead of
/// costing a system call each, which keeps the one-line-per-request access log cheap. Warnings and
/// worse are written at once, with everything before them; the rest is written when the process
/// exits.
struct BufferedLogHandler: LogHandler {
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]
    private let label: String
    private let output: BufferedStandardError

    init(label: String, level: Logger.Level, output: BufferedStandardError = .shared) {
        self.label = label
        self.logLevel = level
        self.output = output
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var line = output.timestamp()
        line.reserveCapacity(192)
        line += " "
        line += event.level.rawValue
        line += " "
        line += label
        line += ":"
        // The access log's lines carry only their own metadata: no dictionary is merged for them.
        var merged = event.metadata ?? [:]
        if !metadata.isEmpty {
            merged.merge(metadata) { explicit, _ in explicit }
        }
        if let error = event.error {
            merged["error.message"] = "\(error)"
        }
        for key in merged.keys.sorted() {
            line += " "
            line += key
            line += "="
            line += merged[key]!.description
        }
        line += " ["
        line += event.source
        line += "] "
        line += event.message.description
        line += "\n"
        output.write(line, now: event.level >= .warning)
    }
}
