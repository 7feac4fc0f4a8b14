import ArgumentParser
import ExampleModels
import LitUV
import LitUVCommandLine
import LitUVOpenAI

#if canImport(Glibc)
import Glibc
#endif

/// `lituv-example`: serves LitUV's built-in example models.
struct Example: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lituv-example",
        abstract: "Serve a built-in LitUV example model over HTTP."
    )

    enum Model: String, ExpressibleByArgument, CaseIterable {
        case square, sleep
        case tinyLM = "tiny-lm"
        case embed
        case imageStats = "image-stats"
        case tone
        case bytes  // BodiesModels.swift
    }

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on (0 picks a free one).")
    var port = 8000

    @OptionGroup var threads: ServerThreadOptions

    @Option(
        help: """
            The model: square (x², LitServe's example), sleep (x², sleeping --predict-delay-ms per batch), \
            tiny-lm (a small text generator: NDJSON tokens on /predict, OpenAI chat on /v1/chat/completions), \
            embed (a hashing text embedding: OpenAI /v1/embeddings, and /predict), image-stats (upload a PNG or \
            PPM in the form field "file": size, mean colour and histogram as JSON) or tone (JSON frequency and \
            duration in, a 16-bit mono WAV out; streamed in chunks on /predict/stream or with "stream": true).
            """
    )
    var model: Model = .square

    @Option(help: "The most requests per predict(batch:) call.")
    var maxBatchSize = 1

    @Option(help: "The batch window in milliseconds, from the first request's arrival.")
    var batchTimeoutMs = 0.0

    @Option(help: "Request timeout in milliseconds (0 disables).")
    var timeoutMs = 30_000.0

    @Option(help: "Requests each API queue holds before answering 503.")
    var maxQueueDepth = 8192

    @Option(help: "For --model sleep: milliseconds each batch takes.")
    var predictDelayMs = 10.0

    @Option(help: "For --model tiny-lm: milliseconds before each generated token.")
    var tokenDelayMs = 0.0

    @Option(help: "PEM certificate chain: serve HTTPS (with --tls-key).")
    var tlsCert: String?

    @Option(help: "PEM private key of --tls-cert.")
    var tlsKey: String?

    @Option(help: "Passphrase of an encrypted --tls-key.")
    var tlsKeyPassword: String?

    @Flag(
        name: .customLong("inline"),
        help: "Run the model on the I/O loops instead of predict workers (square, sleep, embed; no batching)."
    )
    var runsInline = false

    @Flag(help: "Enable POST /shutdown (key from LIT_SHUTDOWN_API_KEY, else generated and printed).")
    var enableShutdownAPI = false

    @Option(
        help: """
            On shutdown, keep accepting and serving this many milliseconds with /health answering 503 and every \
            response closing its connection (for load balancers), then drain. 0: drain at once.
            """
    )
    var drainDelayMs = 0.0

    @Flag(help: "Share the port with a LitUV process already listening on it (hot restart), instead of failing.")
    var reusePort = false

    @Option(help: "The most client connections open at once; beyond it new ones are closed at once. Default: no limit.")
    var maxConnections: Int?

    @Option(
        help: """
            The slowest average rate, in bytes per second, at which a request body may arrive once 5 s have passed \
            (slow bodies); slower ones are answered 408. 0 turns the check off.
            """
    )
    var minBodyBytesPerSecond = 240

    @OptionGroup(title: "Request pipeline") var pipeline: PipelineOptions
    @OptionGroup(title: "Processes") var supervision: SupervisorOptions
    @OptionGroup(title: "Continuous batching") var continuous: ContinuousOptions
    @OptionGroup(title: "Open Inference Protocol") var openInference: OpenInferenceOptions
    @OptionGroup(title: "Async predictions") var asyncOptions: AsyncOptions
    @OptionGroup(title: "Media models") var media: MediaOptions
    @Flag(name: .customLong("no-metrics"), help: "Record no metrics; /metrics answers 404.")
    var metricsOff = false

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be in 0...65535") }
        guard maxBatchSize >= 1 else { throw ValidationError("--max-batch-size must be at least 1") }
        guard batchTimeoutMs >= 0, timeoutMs >= 0, predictDelayMs >= 0, tokenDelayMs >= 0, drainDelayMs >= 0 else {
            throw ValidationError("times must not be negative")
        }
        guard maxQueueDepth >= 1 else { throw ValidationError("--max-queue-depth must be at least 1") }
        if let maxConnections, maxConnections < 1 { throw ValidationError("--max-connections must be at least 1") }
        guard minBodyBytesPerSecond >= 0 else {
            throw ValidationError("--min-body-bytes-per-second must not be negative")
        }
        if asyncOptions.isAsync {
            guard model == .sleep, !runsInline else { throw ValidationError("--async serves --model sleep on workers") }
        }
        if runsInline {
            guard model != .tinyLM else { throw ValidationError("--inline: tiny-lm streams, which needs workers") }
            guard model != .imageStats, model != .tone else {
                throw ValidationError("--inline: \(model.rawValue) is served by predict workers")
            }
            guard maxBatchSize == 1 else { throw ValidationError("--inline answers one request at a time") }
        }
        if continuous.continuous && model != .tinyLM { throw ValidationError("--continuous serves tiny-lm only") }
        guard (tlsCert == nil) == (tlsKey == nil) else {
            throw ValidationError("--tls-cert and --tls-key go together")
        }
        try openInference.validate(model: model.rawValue, runsInline: runsInline)
    }

    func run() throws {
        if let status = try supervision.superviseIfAsked(host: host, port: port, reusePort: reusePort) {
            if status != 0 { throw ExitCode(status) }
            return
        }
        let tls = tlsCert.flatMap { cert in
            tlsKey.map { TLSConfiguration.files(certificate: cert, key: $0, password: tlsKeyPassword) }
        }
        var configuration = LitServer.Configuration(
            ioThreads: threads.ioThreads,
            timeout: timeoutMs > 0 ? .microseconds(Int64(timeoutMs * 1000)) : nil,
            maxQueueDepth: maxQueueDepth,
            enableShutdownAPI: enableShutdownAPI,
            drainDelay: .microseconds(Int64(drainDelayMs * 1000)),
            reusePort: reusePort,
            metricsEnabled: !metricsOff,
            modelMetadata: ["name": model.rawValue],
            handleSignals: true,
            minimumBodyDataRate: minBodyBytesPerSecond > 0 ? BodyDataRate(bytesPerSecond: minBodyBytesPerSecond) : nil,
            maxConnections: maxConnections,
            tls: tls
        )
        pipeline.apply(to: &configuration)
        let batchTimeout = Duration.microseconds(Int64(batchTimeoutMs * 1000))
        let tokenDelay = Duration.microseconds(Int64(tokenDelayMs * 1000))
        var endpoints: [LitEndpoint]
        let examples: [String]
        switch model {
        case .bytes:
            (endpoints, examples) = BodiesModels.endpoints(
                maxBatchSize: maxBatchSize,
                batchTimeout: batchTimeout,
                workers: threads.workers
            )
        case .square:
            endpoints = [
                supervision.squareEndpoint(
                    maxBatchSize: maxBatchSize,
                    batchTimeout: batchTimeout,
                    workersPerDevice: threads.workers,
                    runsInline: runsInline
                )
            ]
            examples = [#"curl -X POST URL/predict -d '{"input": 4.0}'"#] + [openInference.example].compactMap { $0 }
            endpoints += openInference.endpoints(
                maxBatchSize: maxBatchSize,
                batchTimeout: batchTimeout,
                workersPerDevice: threads.workers
            )
        case .sleep where asyncOptions.isAsync:
            endpoints = [
                asyncOptions.sleepEndpoint(
                    delay: .microseconds(Int64(predictDelayMs * 1000)),
                    maxBatchSize: maxBatchSize,
                    batchTimeout: batchTimeout,
                    workers: threads.workers
                )
            ]
            examples = [#"curl -X POST URL/predict -d '{"input": 4.0}'"#]
        case .sleep:
            endpoints = [
                LitEndpoint(
                    SleepAPI(delay: .microseconds(Int64(predictDelayMs * 1000))),
                    maxBatchSize: maxBatchSize,
                    batchTimeout: batchTimeout,
                    workersPerDevice: threads.workers,
                    runsInline: runsInline
                )
            ]
            examples = [#"curl -X POST URL/predict -d '{"input": 4.0}'"#]
        case .tinyLM where continuous.continuous:
            endpoints = continuous.tinyLMEndpoints()
            examples = [#"curl -N -X POST URL/predict -d '{"prompt": "Alice was", "max_tokens": 16}'"#]
        case .tinyLM:
            endpoints = [
                LitEndpoint(
                    TinyLMAPI(tokenDelay: tokenDelay),
                    maxBatchSize: maxBatchSize,
                    batchTimeout: batchTimeout,
                    workersPerDevice: threads.workers
                ),
                .openAIChat(
                    TinyLMChatAPI(tokenDelay: tokenDelay),
                    model: "tiny-lm",
                    maxBatchSize: maxBatchSize,
                    batchTimeout: batchTimeout,
                    workersPerDevice: threads.workers
                ),
            ]
            if let stepped = continuous.staticTinyLMEndpoint(
                maxBatchSize: maxBatchSize,
                batchTimeout: batchTimeout,
                workers: threads.workers
            ) {
                endpoints[0] = stepped
            }
            examples = [
                #"curl -N -X POST URL/predict -d '{"prompt": "Alice was", "max_tokens": 16}'"#,
                #"curl -N URL/v1/chat/completions -H 'Content-Type: application/json' "#
                    + #"-d '{"model": "tiny-lm", "stream": true, "messages": [{"role": "user", "content": "Down the"}]}'"#,
            ]
        case .embed:
            endpoints = [
                .openAIEmbeddings(
                    EmbedAPI(),
                    model: "embed",
                    maxBatchSize: maxBatchSize,
                    batchTimeout: batchTimeout,
                    workersPerDevice: threads.workers
                ),
                LitEndpoint(
                    EmbedPredictAPI(),
                    maxBatchSize: maxBatchSize,
                    batchTimeout: batchTimeout,
                    workersPerDevice: threads.workers
                ),
            ]
            if runsInline {
                for index in endpoints.indices { endpoints[index].runsInline = true }
            }
            examples = [
                #"curl URL/v1/embeddings -H 'Content-Type: application/json' "#
                    + #"-d '{"model": "embed", "input": "a white rabbit"}'"#
            ]
        case .imageStats, .tone:
            let served = mediaEndpoints(batchTimeout: batchTimeout)
            endpoints = served.endpoints
            examples = served.examples
        }
        // The application's swift-metrics backend: swift-prometheus, shown on /metrics.
        if !metricsOff { LitServer.bootstrapMetrics() }
        do {
            let server = try LitServer(endpoints: endpoints, configuration: configuration)
            let running = try server.start(host: host, port: port)
            let shownHost = host.contains(":") ? "[\(host)]" : host
            let url = "\(tls == nil ? "http" : "https")://\(shownHost):\(running.port)"
            say("LitUV serving model '\(model.rawValue)' on \(url)")
            for example in examples {
                say("  try: " + example.replacing("URL", with: url))
            }
            try running.wait()
            say("LitUV stopped")
        } catch {
            say("lituv-example: error: \(error)", to: STDERR_FILENO)
            throw ExitCode(1)
        }
    }
}

/// Writes a line unbuffered (so scripts reading a pipe see it at once).
func say(_ line: String, to fd: Int32 = STDOUT_FILENO) {
    var text = line + "\n"
    text.withUTF8 { bytes in
        var offset = 0
        while offset < bytes.count {
            let written = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if written <= 0 { break }
            offset += written
        }
    }
}

Example.main()
