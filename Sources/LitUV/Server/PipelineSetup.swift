import Logging

#if canImport(Glibc)
import Glibc
#endif

/// Builds a run's ``RequestPipeline`` from the configuration, when the server starts.
enum PipelineSetup {
    /// - Throws: ``LitServerError`` for an empty API key, a bad CORS policy or a bad trusted-hosts list.
    static func make(
        _ configuration: LitServer.Configuration,
        onResponseWritten: (@Sendable (RequestRecord, Int, Int) -> Void)? = nil
    ) throws(LitServerError) -> RequestPipeline {
        var apiKey: SecretKey?
        if let configured = configuration.apiKey {
            guard !configured.isEmpty else { throw .invalidConfiguration("apiKey is empty") }
            apiKey = SecretKey(configured)
        } else if let environment = getenv("LIT_SERVER_API_KEY").map({ String(cString: $0) }), !environment.isEmpty {
            apiKey = SecretKey(environment)  // read when the server starts, not at load
        }
        var cors: CORSCheck?
        if let policy = configuration.cors {
            do { cors = try CORSCheck(policy) } catch { throw .invalidConfiguration("cors: \(error.message)") }
        }
        var trustedHosts: TrustedHosts?
        if let hosts = configuration.trustedHosts {
            do {
                trustedHosts = try TrustedHosts(hosts)
            } catch {
                throw .invalidConfiguration(error.message)
            }
        }
        var accessLogger = configuration.logger
        accessLogger[metadataKey: "log"] = "access"
        return RequestPipeline(
            requestIDs: configuration.requestIDs,
            trustedHosts: trustedHosts,
            cors: cors,
            apiKey: apiKey,
            compressor: configuration.compression.map { ResponseCompressor(policy: $0) },
            accessLog: configuration.accessLog ? AccessLog(logger: accessLogger) : nil,
            middleware: configuration.middleware,
            logger: configuration.logger,
            onResponseWritten: onResponseWritten
        )
    }

    /// The paths that need no API key: the configured ones, else the probes; the shutdown route always.
    static func exemptPaths(_ configuration: LitServer.Configuration) -> Set<String> {
        var paths = Set(
            configuration.apiKeyExemptPaths
                ?? [configuration.healthcheckPath, configuration.metricsPath]
                + [configuration.livenessPath].compactMap { $0 }
        )
        paths.insert(configuration.shutdownPath)
        return paths
    }
}
