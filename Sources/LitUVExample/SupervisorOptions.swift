import ArgumentParser
import ExampleModels
import LitUV
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The multi-process flags of `lituv-example`: `--processes N` runs N servers on the port under a ``LitSupervisor``,
/// `--crash-every N` makes the square model abort its process now and then (the supervisor's crash test).
struct SupervisorOptions: ParsableArguments {
    @Option(
        help: """
            Run this many server processes on the port (each with its own listeners, SO_REUSEPORT) under a supervisor \
            that restarts one that dies, forwards SIGTERM/SIGINT, and stops all on a POST /shutdown to any.
            """
    )
    var processes: Int?

    @Option(
        help: """
            For --model square: abort() the process on every Nth input it predicts (counted per process from a \
            random start, so processes do not crash in step), to test crash isolation with --processes.
            """
    )
    var crashEvery: Int?

    @Option(help: "With --processes: the first delay before a process that died is started again.")
    var restartDelayMs = 100

    @Option(help: "With --processes: the longest restart delay (it doubles with each death within a minute).")
    var maxRestartDelayMs = 5000

    func validate() throws {
        if let processes, processes < 1 { throw ValidationError("--processes must be at least 1") }
        if let crashEvery, crashEvery < 1 { throw ValidationError("--crash-every must be at least 1") }
        guard restartDelayMs >= 1, maxRestartDelayMs >= restartDelayMs else {
            throw ValidationError("--restart-delay-ms must be at least 1 and at most --max-restart-delay-ms")
        }
    }

    /// With `--processes`, in the process the user started: runs the supervisor until every child stopped and
    /// returns its exit status. Nil when this process should serve (no `--processes`, or a supervised child).
    func superviseIfAsked(host: String, port: Int, reusePort: Bool) throws -> Int32? {
        guard let processes else { return nil }
        let supervisor: LitSupervisor?
        var configuration = LitSupervisor.Configuration(processes: processes, host: host, port: port)
        configuration.initialRestartDelay = .milliseconds(restartDelayMs)
        configuration.maxRestartDelay = .milliseconds(maxRestartDelayMs)
        configuration.reusePort = reusePort
        do {
            supervisor = try LitSupervisor.unlessSupervised(configuration)
        } catch {
            say("lituv-example: error: \(error)", to: STDERR_FILENO)
            throw ExitCode(1)
        }
        guard let supervisor else { return nil }
        do {
            return try supervisor.run { port in
                let shownHost = host.contains(":") ? "[\(host)]" : host
                let count = processes == 1 ? "1 process" : "\(processes) processes"
                say("LitUV supervisor (pid \(getpid())): \(count) serving on http://\(shownHost):\(port)")
            }
        } catch {
            say("lituv-example: error: \(error)", to: STDERR_FILENO)
            throw ExitCode(1)
        }
    }

    /// The `/predict` endpoint of `--model square`, aborting on every `--crash-every`th input when asked.
    func squareEndpoint(
        maxBatchSize: Int,
        batchTimeout: Duration,
        workersPerDevice: Int,
        runsInline: Bool
    ) -> LitEndpoint {
        guard let crashEvery else {
            return LitEndpoint(
                SquareAPI(),
                maxBatchSize: maxBatchSize,
                batchTimeout: batchTimeout,
                workersPerDevice: workersPerDevice,
                runsInline: runsInline
            )
        }
        return LitEndpoint(
            CrashingSquareAPI(every: crashEvery),
            maxBatchSize: maxBatchSize,
            batchTimeout: batchTimeout,
            workersPerDevice: workersPerDevice,
            runsInline: runsInline
        )
    }
}

/// Inputs predicted by this process's ``CrashingSquareAPI`` copies (shared by every worker and loop), from a random
/// start in `0..<every` set by the first copy made.
private let predictedInputs = Atomic<Int>(-1)

/// x² like `SquareAPI`, but the process aborts on every `every`th input it predicts: a model that crashes. The count
/// starts at a random phase per process, so two processes under even load do not crash at the same moment.
struct CrashingSquareAPI: LitAPI {
    typealias Request = SquareAPI.Request
    typealias Response = SquareAPI.Response
    /// One input in `every` aborts the process.
    let every: Int

    init(every: Int) {
        self.every = every
        _ = predictedInputs.compareExchange(expected: -1, desired: Int.random(in: 0..<every), ordering: .relaxed)
    }

    func decodeRequest(_ request: Request) throws -> Double { request.input }
    func predict(_ x: Double) throws -> Double {
        if predictedInputs.add(1, ordering: .relaxed).newValue % every == 0 { abort() }
        return x * x
    }
    func encodeResponse(_ y: Double) throws -> Response { try SquareAPI().encodeResponse(y) }
}
