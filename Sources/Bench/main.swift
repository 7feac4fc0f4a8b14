// lituv-bench: an HTTP/1.1 (and HTTPS) load generator over libuv, and LitUV's benchmark harness.

import ArgumentParser
import CUV
import ExampleModels
import LitUV
import LitUVCommandLine

#if canImport(Glibc)
import Glibc
#endif

/// An error that ends the run with a message.
struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lituv-bench",
        abstract: "HTTP/1.1 load generator over libuv (closed loop, pipelined, or open loop at a fixed rate).",
        discussion: """
            Closed loop (default): every connection keeps --pipeline requests in flight. Open loop (--rate): a \
            fixed total request rate; latency is measured from each request's intended send time, so a stalled \
            server cannot hide behind a slowed-down client (coordinated omission).

            Examples:
              lituv-bench --url http://127.0.0.1:8000/predict --body '{"input": 4.0}' -c 64 -d 10
              lituv-bench --self --io-threads 1 -c 64 -d 10 --json
              lituv-bench --url http://127.0.0.1:8000/predict --rate 20000 -c 64 -d 30
              lituv-bench --url http://127.0.0.1:8000/health --method GET --idle-connections 10000 --hold 20
            """
    )

    @Option(help: "Target URL (http:// or https://).")
    var url = "http://127.0.0.1:8000/predict"

    @Option(help: "Request method.")
    var method = "POST"

    @Option(help: "Request body.")
    var body = #"{"input": 4.0}"#

    @Option(name: .customLong("header"), help: "Extra request header 'Name: value' (repeatable).")
    var headers: [String] = []

    @Option(name: [.customShort("c"), .long], help: "Connections (in total, over all threads).")
    var connections = 64

    @Option(name: [.customShort("t"), .long], help: "Load threads, each with its own libuv loop.")
    var threads = 1

    @Option(name: [.customShort("d"), .long], help: "Measured duration in seconds (after the warm-up).")
    var duration = 10.0

    @Option(help: "Warm-up in seconds: load is applied but not measured.")
    var warmup = 2.0

    @Option(help: "Requests in flight per connection (closed loop), or the most per connection (open loop).")
    var pipeline = 1

    @Option(help: "Open loop: total requests per second over all connections.")
    var rate: Double?

    @Option(help: "Seconds before an unanswered request counts as a timeout (its connection is then closed).")
    var timeout = 10.0

    @Flag(help: "Print one JSON line instead of the table.")
    var json = false

    @Option(help: "PEM file of trusted CAs for https:// (verifies the server). Without it nothing is verified.")
    var cacert: String?

    @Flag(name: .customLong("self"), help: "Start the example SquareAPI in this process on a free port and load it.")
    var selfServer = false

    /// `--io-threads` and `--workers` of the `--self` server.
    @OptionGroup var server: ServerThreadOptions

    @Option(help: "Open this many connections, send one request on each, hold them idle (--hold), then exit.")
    var idleConnections: Int?

    @Option(help: "Seconds to hold idle connections open (with --idle-connections).")
    var hold = 10.0

    @Option(help: "Most connects in progress at once, per thread.")
    var maxPendingConnects = 128

    @Flag(
        help: """
            Open loop: send what is due once a millisecond instead of polling without blocking (which keeps a core \
            busy). Latency is still measured from each request's intended send time, so it includes up to 1 ms of \
            pacing.
            """
    )
    var coarsePacing = false

    func validate() throws {
        guard connections >= 1 else { throw ValidationError("--connections must be at least 1") }
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        guard threads <= connections || idleConnections != nil else {
            throw ValidationError("--threads must not exceed --connections")
        }
        guard duration > 0, warmup >= 0, timeout > 0, hold >= 0 else {
            throw ValidationError("--duration and --timeout must be positive; --warmup and --hold not negative")
        }
        guard (1...1024).contains(pipeline) else { throw ValidationError("--pipeline must be in 1...1024") }
        if let rate { guard rate > 0 else { throw ValidationError("--rate must be positive") } }
        if let idleConnections { guard idleConnections >= 1 else { throw ValidationError("--idle-connections") } }
        guard maxPendingConnects >= 1 else { throw ValidationError("--max-pending-connects must be at least 1") }
        guard method.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) && !method.isEmpty else {
            throw ValidationError("bad --method")
        }
    }

    func run() throws {
        signal(SIGPIPE, SIG_IGN)
        var target = try TargetURL(url)
        var server: RunningServer?
        if selfServer {
            guard !target.isTLS else { throw ValidationError("--self serves plain HTTP only") }
            let running = try startSelfServer()
            server = running
            target.host = "127.0.0.1"
            target.port = running.port
        }
        defer {
            if let server {
                server.shutdown()
                do {
                    try server.wait()
                } catch {
                    Terminal.err("lituv-bench: server stopped with an error: \(error)\n")
                }
                if server.loopCloseStatuses.contains(where: { $0 != 0 }) {
                    Terminal.err("lituv-bench: server loops did not close cleanly: \(server.loopCloseStatuses)\n")
                }
            }
        }
        let totalConnections = idleConnections ?? connections
        raiseFileLimit(needed: totalConnections + 256)

        let tls = target.isTLS ? try TLSClientContext(serverName: target.host, caFile: cacert) : nil
        let address = try ResolvedAddress(host: target.host, port: target.port)
        let requestBytes = try buildRequest(target)
        let template = RequestTemplate(requestBytes, copies: pipeline, isHead: method == "HEAD")

        let threadCount = min(threads, totalConnections)
        let start = uv_hrtime()
        let measureStart = start &+ UInt64(warmup * 1e9)
        let measureEnd = measureStart &+ UInt64(duration * 1e9)
        let progress = IdleProgress(total: totalConnections)
        var plans: [WorkerPlan] = []
        for index in 0..<threadCount {
            let share = totalConnections / threadCount + (index < totalConnections % threadCount ? 1 : 0)
            let mode: WorkerPlan.Mode
            if idleConnections != nil {
                mode = .idle(hold: UInt64(hold * 1e9), progress: progress)
            } else if let rate {
                mode = .openLoop(rate: rate / Double(threadCount))
            } else {
                mode = .closedLoop
            }
            plans.append(
                WorkerPlan(
                    index: index,
                    address: address,
                    request: template,
                    connections: share,
                    pipeline: pipeline,
                    mode: mode,
                    startTime: start,
                    measureStart: measureStart,
                    measureEnd: measureEnd,
                    timeout: UInt64(timeout * 1e9),
                    tls: tls,
                    maxPendingConnects: maxPendingConnects,
                    coarsePacing: coarsePacing
                )
            )
        }
        if !json && idleConnections == nil {
            Terminal.out(header(target: target, threads: threadCount))
        }
        let results = try runLoadThreads(plans)
        var total = WorkerResult()
        for result in results { total.merge(result) }
        let report = Report(
            target: target,
            method: method,
            threads: threadCount,
            connections: totalConnections,
            pipeline: pipeline,
            rate: rate,
            duration: duration,
            warmup: warmup,
            result: total,
            idle: idleConnections != nil,
            selfServer: selfServer
        )
        Terminal.out(json ? report.json() + "\n" : report.table())
        if total.loopCloseStatus != 0 { throw ExitCode(2) }
        if idleConnections == nil && total.completed == 0 { throw ExitCode(1) }
    }

    private func header(target: TargetURL, threads: Int) -> String {
        let mode = rate.map { "open loop at \(formatNumber($0)) req/s" } ?? "closed loop"
        return """
            lituv-bench: \(method) \(target)\(selfServer ? " (in-process SquareAPI)" : "")
              \(threads) thread(s), \(connections) connection(s), pipeline \(pipeline), \(mode); \
            \(formatNumber(warmup)) s warm-up, \(formatNumber(duration)) s measured

            """
    }

    private func startSelfServer() throws -> RunningServer {
        let configuration = LitServer.Configuration(ioThreads: server.ioThreads ?? 1, handleSignals: false)
        let server = try LitServer(SquareAPI(), workersPerDevice: server.workers, configuration: configuration)
        let running = try server.start(host: "127.0.0.1", port: 0)
        for _ in 0..<1000 where !running.isReady {
            usleep(10_000)
        }
        guard running.isReady else { throw BenchError("the in-process server did not become ready in 10 s") }
        return running
    }

    /// The request bytes: request line, Host, the user's headers, Content-Length, body.
    private func buildRequest(_ target: TargetURL) throws -> [UInt8] {
        var head = "\(method) \(target.pathAndQuery) HTTP/1.1\r\n"
        var names = Set<String>()
        var fields: [String] = []
        for header in headers {
            guard let colon = header.firstIndex(of: ":") else {
                throw ValidationError("--header must be 'Name: value', got '\(header)'")
            }
            let name = header[..<colon].trimmingSpaces
            let value = header[header.index(after: colon)...].trimmingSpaces
            guard !name.isEmpty, !name.contains(" "), !value.contains("\r"), !value.contains("\n") else {
                throw ValidationError("bad --header '\(header)'")
            }
            names.insert(name.lowercased())
            fields.append("\(name): \(value)\r\n")
        }
        if !names.contains("host") { head += "Host: \(target.hostHeader)\r\n" }
        head += fields.joined()
        let bodyBytes = Array(body.utf8)
        let sendsBody = !bodyBytes.isEmpty && method != "GET" && method != "HEAD"
        if !names.contains("content-length") && (sendsBody || ["POST", "PUT", "PATCH"].contains(method)) {
            head += "Content-Length: \(sendsBody ? bodyBytes.count : 0)\r\n"
        }
        head += "\r\n"
        return Array(head.utf8) + (sendsBody ? bodyBytes : [])
    }

    private func raiseFileLimit(needed: Int) {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return }
        if limit.rlim_cur < rlim_t(needed) {
            limit.rlim_cur = min(limit.rlim_max, rlim_t(max(needed, 1024)))
            _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        }
        if limit.rlim_cur < rlim_t(needed) {
            Terminal.err("lituv-bench: warning: open-file limit \(limit.rlim_cur) < \(needed); raise ulimit -n\n")
        }
    }
}

extension Substring {
    var trimmingSpaces: String {
        String(
            self.drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0 == " " || $0 == "\t" })
                .reversed()
        )
    }
}

Bench.main()
