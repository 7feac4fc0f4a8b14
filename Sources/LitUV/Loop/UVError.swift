import CUV

/// An error reported by libuv, with the operation that failed.
///
/// Every libuv status code in LitUV passes through ``UVError/check(_:_:)``, the one place where a negative
/// C status becomes a Swift error.
public struct UVError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The negative libuv error code (for example `UV_EADDRINUSE`).
    public let code: Int32
    /// What LitUV was doing when libuv reported the error (for example `"bind 127.0.0.1:8000"`).
    public let operation: String

    /// Creates an error from a libuv status code.
    /// - Parameters:
    ///   - code: The negative libuv status code.
    ///   - operation: A short description of the failed operation.
    public init(code: Int32, operation: String) {
        self.code = code
        self.operation = operation
    }

    /// libuv's short name for the code, such as `EADDRINUSE`.
    public var name: String { String(cString: uv_err_name(code)) }

    /// A message such as `bind 127.0.0.1:8000: address already in use (EADDRINUSE)`.
    public var description: String {
        "\(operation): \(String(cString: uv_strerror(code))) (\(name))"
    }

    /// True when the error says the address is already in use.
    public var isAddressInUse: Bool { code == UV_EADDRINUSE.rawValue }

    /// Turns a libuv status into a thrown ``UVError`` when it is negative.
    @inline(__always)
    static func check(_ status: Int32, _ operation: @autoclosure () -> String) throws(UVError) {
        if status < 0 { throw UVError(code: status, operation: operation()) }
    }
}
