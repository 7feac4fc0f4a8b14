/// The shutdown sequence of a run, top to bottom, in the order of docs/ARCHITECTURE.md ("Shutdown"):
///
/// 1. a trigger (`POST /shutdown` after its 200 is written, SIGINT/SIGTERM, or the embedding app's `shutdown()`)
///    calls ``ServerRuntime/beginShutdown()``: idempotent, any thread;
/// 2. the coordinator thread marks the run draining (`/health` answers 503, new requests 503 + close), closes every
///    listener (the port is free at once) and every idle connection;
/// 3. queued and running predictions are answered, within the drain timeout (sleeping until the last one settles);
///    past it, what is left is answered 503;
/// 4. workers stop and join (each runs `teardown`), inline copies are torn down on their loops;
/// 5. the last answers reach the kernel (sleeping until the last connection closes, at most 2 s);
/// 6. every loop stops: `uv_walk` closes what is left, `uv_loop_close` returns 0, and `run()`/`wait()` return.
extension ServerRuntime {
    /// Starts the graceful shutdown. Any thread; idempotent; returns at once.
    func beginShutdown() {
        if shutdownRequested.exchange(true, ordering: .acquiringAndReleasing) { return }
        trigger.signal()
    }

    /// The shutdown sequence, on the coordinator thread (`lituv-stop`).
    func coordinate() {
        // 1. Wait for a trigger.
        trigger.wait()
        // 2. Draining: every listener closes at once; idle connections close; busy ones close after their answers.
        draining.store(true, ordering: .releasing)
        for context in contexts {
            context.loop.runAndWait { context.beginDrain() }
        }
        // 3. Queued and running predictions are answered, within the drain timeout.
        let drainDeadline = ContinuousClock.now + configuration.drainTimeout
        if !inFlight.waitForZero(until: drainDeadline) {
            logger.warning("drain timeout passed with \(inFlightCount) predictions unanswered; answering 503")
            let response = HTTPResponse.error(.serviceUnavailable, "Server is shutting down", close: true)
            for endpoint in endpoints {
                for job in endpoint.drainQueue() where job.tryStart(now: 0) {
                    job.finish(response)
                }
            }
            for context in contexts {
                context.loop.runAndWait { context.failPending() }
            }
        }
        // 4. Workers finish; teardown runs on each; threads are joined.
        stopEndpoints()
        // 5. Let the last answers reach the kernel (bounded), then close everything on every loop.
        _ = connectionsClosed.wait(until: ContinuousClock.now + .seconds(2)) {
            statistics.connections.load(ordering: .sequentiallyConsistent) == 0
        }
        // 6. Every loop closes its handles and stops.
        stopLoops(keepingStatusOfUnstartedLoops: true)
        logger.info("server stopped")
        finished.leave()
    }

    /// Called on a loop thread when a connection closed: wakes step 5 when it was the last one of a draining run.
    func connectionClosed(remaining: Int) {
        if remaining == 0 && isDraining { connectionsClosed.unpark() }
    }

    /// Undoes a start that failed half-way: whatever was started stops, in the same order as a shutdown.
    func abortStart() {
        stopEndpoints()
        stopLoops(keepingStatusOfUnstartedLoops: false)
    }

    /// Stops every endpoint: no new prediction starts, workers finish and join, inline copies are torn down.
    private func stopEndpoints() {
        for endpoint in endpoints { endpoint.stop() }
        tearDownInlineEndpoints()
        for endpoint in endpoints { endpoint.join() }
    }

    /// Runs `teardown` on each loop's copy of every inline endpoint, on the loop's thread (after `stop()`, so no
    /// prediction can start on it any more). Only loops whose copy was set up are visited; they are running.
    private func tearDownInlineEndpoints() {
        for endpoint in endpoints {
            guard let predictor = endpoint.inlinePredictor else { continue }
            for context in contexts.prefix(predictor.setUpCount) {
                let loop = context.loop
                let index = loop.index
                loop.runAndWait { predictor.teardown(loop: index) }
            }
        }
    }

    /// Stops and joins every loop and keeps their `uv_loop_close` results.
    /// - Parameter keepingStatusOfUnstartedLoops: Record -1 for a loop that never closed (a full run expects every
    ///   loop to close); a failed start records only the loops that did.
    private func stopLoops(keepingStatusOfUnstartedLoops: Bool) {
        for loop in loops { loop.stop() }
        for loop in loops { loop.join() }
        closeStatuses.withLock {
            $0 = keepingStatusOfUnstartedLoops ? loops.map { $0.closeStatus ?? -1 } : loops.compactMap(\.closeStatus)
        }
    }
}
