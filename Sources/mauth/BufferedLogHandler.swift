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
        var fields = event.metadata ?? [:]
        // The access log's lines carry only their own metadata: no dictionary is merged for them.
        if !metadata.isEmpty {
            fields.merge(metadata) { explicit, _ in explicit }
        }
        if let error = event.error {
            fields["error.message"] = "\(error)"
        }
        let sortedFields = fields.sorted { $0.key < $1.key }
        let (level, label, source, message) = (event.level.rawValue, label, event.source, event.message.description)
        // Written straight into the output's buffer: the line is never a string of its own.
        output.appendLine(flushing: event.level >= .warning) { line, timestamp in
            line.append(contentsOf: timestamp.utf8)
            line.append(UInt8(ascii: " "))
            line.append(contentsOf: level.utf8)
            line.append(UInt8(ascii: " "))
            line.append(contentsOf: label.utf8)
            line.append(UInt8(ascii: ":"))
            for (key, value) in sortedFields {
                line.append(UInt8(ascii: " "))
                line.append(contentsOf: key.utf8)
                line.append(UInt8(ascii: "="))
                line.append(contentsOf: value.description.utf8)
            }
            line.append(contentsOf: " [".utf8)
            line.append(contentsOf: source.utf8)
            line.append(contentsOf: "] ".utf8)
            line.append(contentsOf: message.utf8)
            line.append(UInt8(ascii: "\n"))
        }
    }
}
