#if canImport(Glibc)
import Glibc
#endif

/// Why a ``LitSupervisor`` could not start or run: a struct with a ``Code``, so codes can be added later.
public struct LitSupervisorError: Error, Sendable, CustomStringConvertible {
    /// The kind of failure.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: Hashable, Sendable { case invalidConfiguration, portUnavailable, system }
        private let value: Value
        /// A setting is out of range (``LitSupervisor/Configuration``).
        public static let invalidConfiguration = Code(value: .invalidConfiguration)
        /// The port cannot be reserved (in use, not allowed, or the host does not resolve to a local address).
        public static let portUnavailable = Code(value: .portUnavailable)
        /// A system call failed (spawning a child, a socket pair, signals).
        public static let system = Code(value: .system)
        /// The code's name.
        public var description: String { "\(value)" }
    }

    /// The kind of failure.
    public let code: Code
    /// What went wrong, for a person.
    public let message: String

    /// Creates an error.
    /// - Parameters:
    ///   - code: The kind of failure.
    ///   - message: What went wrong.
    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    /// The message.
    public var description: String { message }

    static func invalidConfiguration(_ message: String) -> LitSupervisorError {
        LitSupervisorError(code: .invalidConfiguration, message: message)
    }

    static func system(_ operation: String, errno code: Int32) -> LitSupervisorError {
        LitSupervisorError(code: .system, message: "\(operation): \(String(cString: strerror(code)))")
    }
}
