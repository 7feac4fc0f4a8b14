/// Why a server could not start or stopped with an error.
///
/// A struct with a private code (like swift-service-lifecycle's `ServiceRunnerError`), so cases can be added later
/// without breaking callers. Compare with the static members, e.g. `error.code == .addressInUse`.
public struct LitServerError: Error, Sendable, CustomStringConvertible {
    /// The kind of failure.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Value: Hashable, Sendable {
            case invalidConfiguration, addressInUse, bindFailed, setupFailed, threadCreationFailed, alreadyRunning,
                tlsConfiguration, loopFailed
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// An option or a combination of options is invalid; the message names the option.
        public static let invalidConfiguration = Code(.invalidConfiguration)
        /// The port is taken by another process.
        public static let addressInUse = Code(.addressInUse)
        /// Listening failed for another reason (permission, bad address, ...).
        public static let bindFailed = Code(.bindFailed)
        /// An API's `setup` threw.
        public static let setupFailed = Code(.setupFailed)
        /// The system refused to create a thread.
        public static let threadCreationFailed = Code(.threadCreationFailed)
        /// `start()` was called on a server that is already running.
        public static let alreadyRunning = Code(.alreadyRunning)
        /// The TLS certificate or key could not be loaded.
        public static let tlsConfiguration = Code(.tlsConfiguration)
        /// An event loop could not be created.
        public static let loopFailed = Code(.loopFailed)

        public var description: String { String(describing: value) }
    }

    /// The kind of failure.
    public let code: Code
    /// A message for people: what failed and why.
    public let message: String
    /// The underlying error, if any (a ``UVError``, or the error `setup` threw).
    public let underlying: (any Error)?

    init(code: Code, message: String, underlying: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
    }

    public var description: String { message }

    static func invalidConfiguration(_ message: String) -> LitServerError {
        LitServerError(code: .invalidConfiguration, message: "invalid configuration: \(message)")
    }

    static func threadCreationFailed(_ error: ThreadCreationError) -> LitServerError {
        LitServerError(code: .threadCreationFailed, message: error.description, underlying: error)
    }

    static func invalidAddress(_ error: SocketAddressError) -> LitServerError {
        .invalidConfiguration(error.message)
    }

    static func listen(_ error: UVError, address: String) -> LitServerError {
        if error.isAddressInUse {
            return LitServerError(
                code: .addressInUse,
                message: "cannot listen on \(address): the address is already in use (is another server running?)",
                underlying: error
            )
        }
        return LitServerError(code: .bindFailed, message: "cannot listen on \(address): \(error)", underlying: error)
    }

    static func setupFailed(api: String, _ error: any Error) -> LitServerError {
        LitServerError(code: .setupFailed, message: "setup of \(api) failed: \(error)", underlying: error)
    }
}
