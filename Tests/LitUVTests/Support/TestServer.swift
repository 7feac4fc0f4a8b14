import Foundation
import Logging
import Testing

@testable import LitUV

#if canImport(Glibc)
import Glibc
#endif

/// A configuration for tests: 2 loops, short timeouts where a test does not set its own.
func testConfiguration(
    ioThreads: Int = 2,
    timeout: Duration? = .seconds(30),
    limits: HTTPLimits = HTTPLimits(),
    headerTimeout: Duration = .seconds(10),
    keepAliveTimeout: Duration = .seconds(60),
    maxQueueDepth: Int = 1024,
    enableShutdownAPI: Bool = false,
    shutdownAPIKey: String? = nil,
    drainTimeout: Duration = .seconds(30)
) -> LitServer.Configuration {
    var logger = Logger(label: "lituv-test")
    logger.logLevel = .critical
    return LitServer.Configuration(
        ioThreads: ioThreads,
        timeout: timeout,
        limits: limits,
        headerTimeout: headerTimeout,
        keepAliveTimeout: keepAliveTimeout,
        maxQueueDepth: maxQueueDepth,
        enableShutdownAPI: enableShutdownAPI,
        shutdownAPIKey: shutdownAPIKey,
        drainTimeout: drainTimeout,
        logger: logger
    )
}

/// Starts `server` on 127.0.0.1 port 0, waits until `/health` would say 200, runs `body`, shuts down, and checks
/// that every loop closed cleanly (`uv_loop_close` returned 0).
func withRunningServer<R>(
    _ server: LitServer,
    waitForReady: Bool = true,
    _ body: (RunningServer) throws -> R
) throws -> R {
    try withStartedServer(
        server,
        waitForReady: waitForReady,
        start: { try server.start(host: "127.0.0.1", port: 0) },
        body
    )
}

/// Starts `server` with `start`, optionally waits until it is ready, runs `body`, shuts down, and checks that every
/// loop closed cleanly (`uv_loop_close` returned 0).
func withStartedServer<R>(
    _ server: LitServer,
    waitForReady: Bool = true,
    start: () throws -> RunningServer,
    _ body: (RunningServer) throws -> R
) throws -> R {
    let running = try start()
    if waitForReady {
        let deadline = ContinuousClock.now + .seconds(10)
        while !running.isReady && ContinuousClock.now < deadline { usleep(1_000) }
    }
    let result: R
    do {
        result = try body(running)
    } catch {
        running.shutdown()
        try? running.wait()
        throw error
    }
    running.shutdown()
    try running.wait()
    #expect(running.loopCloseStatuses.count == server.configuration.ioThreads)
    #expect(running.loopCloseStatuses.allSatisfy { $0 == 0 }, "uv_loop_close must return 0 on every loop")
    return result
}
