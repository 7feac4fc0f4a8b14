#if canImport(Glibc)
import Glibc
#endif

/// The body of `GET /info`, rendered once per run (LitServe's shape, plus each API's settings).
enum ServerInfo {
    private struct Body: Encodable {
        var model: [String: String]?
        var server: Server
        var process: Process

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            if let model {
                try container.encode(model, forKey: .model)
            } else {
                try container.encodeNil(forKey: .model)
            }
            try container.encode(server, forKey: .server)
            try container.encode(process, forKey: .process)
        }
        enum CodingKeys: String, CodingKey { case model, server, process }
    }

    /// Which process answered: its pid, and its index under a ``LitSupervisor`` (null when not supervised).
    private struct Process: Encodable {
        var pid: Int32
        var supervised_index: Int?

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(pid, forKey: .pid)
            if let supervised_index {
                try c.encode(supervised_index, forKey: .supervised_index)
            } else {
                try c.encodeNil(forKey: .supervised_index)
            }
        }
        enum CodingKeys: String, CodingKey { case pid, supervised_index }
    }

    private struct Server: Encodable {
        var devices: [String]
        var workers_per_device: Int
        var timeout: Double?
        var stream: [String: Bool]
        var max_payload_size: Int
        var track_requests: Bool
        var io_threads: Int
        var max_queue_depth: Int
        var apis: [API]

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(devices, forKey: .devices)
            try c.encode(workers_per_device, forKey: .workers_per_device)
            if let timeout { try c.encode(timeout, forKey: .timeout) } else { try c.encode(false, forKey: .timeout) }
            try c.encode(stream, forKey: .stream)
            try c.encode(max_payload_size, forKey: .max_payload_size)
            try c.encode(track_requests, forKey: .track_requests)
            try c.encode(io_threads, forKey: .io_threads)
            try c.encode(max_queue_depth, forKey: .max_queue_depth)
            try c.encode(apis, forKey: .apis)
        }
        enum CodingKeys: String, CodingKey {
            case devices, workers_per_device, timeout, stream, max_payload_size, track_requests, io_threads,
                max_queue_depth, apis
        }
    }

    private struct API: Encodable {
        var path: String
        var name: String
        var max_batch_size: Int
        var batch_timeout: Double
        var workers_per_device: Int
        var devices: Int
        var workers: Int
        var stream: Bool
        var runs_inline: Bool
    }

    static func render(configuration: LitServer.Configuration, endpoints: [LitEndpointSettings]) -> [UInt8] {
        let deviceCount = endpoints.map(\.devices).max() ?? 1
        let body = Body(
            model: configuration.modelMetadata,
            server: Server(
                devices: (0..<deviceCount).map { Device(index: $0).description },
                workers_per_device: endpoints.first?.workersPerDevice ?? 1,
                timeout: configuration.timeout.map { Double($0.nanoseconds) / 1e9 },
                stream: Dictionary(endpoints.map { ($0.path, $0.isStreaming) }, uniquingKeysWith: { a, _ in a }),
                max_payload_size: configuration.limits.maxPayloadSize,
                track_requests: false,
                io_threads: configuration.ioThreads,
                max_queue_depth: configuration.maxQueueDepth,
                apis: endpoints.map {
                    API(
                        path: $0.path,
                        name: $0.name,
                        max_batch_size: $0.maxBatchSize,
                        batch_timeout: Double($0.batchTimeoutNanoseconds) / 1e9,
                        workers_per_device: $0.workersPerDevice,
                        devices: $0.devices,
                        workers: $0.runsInline ? 0 : $0.workerCount,
                        stream: $0.isStreaming,
                        runs_inline: $0.runsInline
                    )
                }
            ),
            process: Process(pid: getpid(), supervised_index: SupervisedProcess.current?.index)
        )
        return (try? LitJSON.encode(body)) ?? Array(#"{"model":null,"server":{}}"#.utf8)
    }
}
