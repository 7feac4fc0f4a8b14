import ArgumentParser

/// The thread options of a LitUV server started from the command line, shared by `lituv-example` and
/// `lituv-bench --self` (each declares it as an `@OptionGroup`), so the flags are spelled,
/// described and checked in one place.
public struct ServerThreadOptions: ParsableArguments {
    /// `--io-threads`: the server's I/O threads (event loops), or nil for the program's default.
    @Option(help: "The server's I/O threads (event loops). Default: the number of cores (lituv-bench --self: 1).")
    public var ioThreads: Int?

    /// `--workers`: the server's predict workers per device.
    @Option(help: "The server's predict workers per device.")
    public var workers: Int = 1

    /// Creates the options with their defaults (ArgumentParser fills them from the command line).
    public init() {}

    /// Refuses thread counts below 1.
    /// - Throws: `ValidationError` naming the flag.
    public func validate() throws {
        if let ioThreads, ioThreads < 1 { throw ValidationError("--io-threads must be at least 1") }
        guard workers >= 1 else { throw ValidationError("--workers must be at least 1") }
    }
}
