import ArgumentParser
import LitUV

/// The request-pipeline flags of `lituv-example`: API key, request ids, CORS, gzip, trusted hosts, access log.
struct PipelineOptions: ParsableArguments {
    @Option(
        help: """
            Require this API key on every request (X-API-Key or Authorization: Bearer); probes are exempt. \
            Default: LIT_SERVER_API_KEY when set.
            """
    )
    var apiKey: String?

    @Flag(help: "Give every request an X-Request-Id (the client's when valid, else generated).")
    var requestId = false

    @Option(
        name: .customLong("cors-origin"),
        help: "Allow cross-origin requests from this origin (repeatable; '*' for any)."
    )
    var corsOrigins: [String] = []

    @Flag(help: "Gzip answers of 1000 bytes or more for clients that accept it (streams excepted).")
    var gzip = false

    @Option(name: .customLong("trusted-host"), help: "Answer 400 unless Host names this host (repeatable).")
    var trustedHosts: [String] = []

    @Flag(help: "Log one line per request (request id, method, path, status, bytes, latency, queue wait).")
    var accessLog = false

    func validate() throws {
        if let apiKey, apiKey.isEmpty { throw ValidationError("--api-key must not be empty") }
    }

    /// Sets the pipeline fields of `configuration`.
    func apply(to configuration: inout LitServer.Configuration) {
        if let apiKey { configuration.apiKey = apiKey }
        configuration.requestIDs = requestId
        if !corsOrigins.isEmpty { configuration.cors = CORSPolicy(allowedOrigins: corsOrigins) }
        if gzip { configuration.compression = ResponseCompression() }
        if !trustedHosts.isEmpty { configuration.trustedHosts = trustedHosts }
        configuration.accessLog = accessLog
    }
}
