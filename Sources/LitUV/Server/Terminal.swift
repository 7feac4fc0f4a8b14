#if canImport(Glibc)
import Glibc
#endif

/// Writes to the terminal's standard error directly (never through a log handler): the generated shutdown key and
/// the second-interrupt notice.
enum Terminal {
    static func writeError(_ message: String) {
        var message = message
        message.withUTF8 { bytes in
            guard let base = bytes.baseAddress else { return }
            var offset = 0
            while offset < bytes.count {
                let written = write(STDERR_FILENO, base + offset, bytes.count - offset)
                if written <= 0 { break }
                offset += written
            }
        }
    }
}
