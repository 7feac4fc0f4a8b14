import Logging
import Synchronization

/// Log lines a test can read back: a swift-log handler that appends every entry to a shared list.
final class LogRecord: Sendable {
    struct Entry: Sendable {
        var level: Logger.Level
        var message: String
        var metadata: [String: String]
    }

    private let entries = Mutex<[Entry]>([])

    var all: [Entry] { entries.withLock { $0 } }

    /// A logger that records into this list (`level` and above).
    func logger(level: Logger.Level = .trace) -> Logger {
        var logger = Logger(label: "lituv-test-recorded") { _ in RecordingLogHandler(record: self) }
        logger.logLevel = level
        return logger
    }

    fileprivate func append(_ entry: Entry) { entries.withLock { $0.append(entry) } }
}

private struct RecordingLogHandler: LogHandler {
    let record: LogRecord
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var merged: [String: String] = [:]
        for (key, value) in metadata { merged[key] = "\(value)" }
        for (key, value) in event.metadata ?? [:] { merged[key] = "\(value)" }
        record.append(.init(level: event.level, message: "\(event.message)", metadata: merged))
    }
}
