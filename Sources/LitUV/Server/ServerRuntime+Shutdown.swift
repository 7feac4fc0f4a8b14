/// The shutdown sequence of a run, top to bottom, in the order of docs/ARCHITECTURE.md ("Shutdown"):
///
/// 1. a trigger (`POST /shutdown` after its 200 is written, SIGINT/SIGTERM, or the embedding app's `shutdown()`)
///    calls ``ServerRuntime/beginShutdown()``: idempotent, any thread;
/// 2. readiness goes down at once (`/health` answers 503; liveness stays 200) and every connection closes after its
///    last pending answer; for the drain delay (0 by default) the server keeps accepting and serving, so a load
///    balancer moves away without a failed request;
/// 3. the drain: each loop takes the connections waiting in its listeners' backlogs, closes its listeners (the port
///    is free at once) and its idle connections; requests that started before this moment are read to their end
///    and answered, requests that start later are answered 503 + close;
/// 4. queued and running predictions, and the requests still being read, are answered within the drain timeout
///    (sleeping until the last one settles); past it, what is left is answered 503;
/// 5. workers stop and join (each runs `teardown`), inline copies are torn down on their loops;
/// 6. the last answers reach the kernel (sleeping until the last connection closes, at most 2 s);
/// 7. every loop stops: `uv_walk` closes what is left, `uv_loop_close` returns 0, and `run()`/`wait()` return.
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
        observer?.serverWillStop(host: host, ports: ports)
        // 2. Readiness down; connections close after their last answer; keep serving for the drain delay.
        shuttingDown.store(true, ordering: .sequentiallyConsistent)
        if configuration.drainDelay > .zero {
            logger.info("shutting down: serving for the drain delay (\(configuration.drainDelay)) before draining")
            let delayEnd = ContinuousClock.now + configuration.drainDelay
            _ = shutdownProgress.wait(until: delayEnd) { false }
        }
        // 3. Draining: backlogs are taken, listeners close; idle connections close; busy ones after their answers.
        draining.store(true, ordering: .sequentiallyConsistent)
        for context in contexts {
            context.loop.runAndWait { context.beginDrain() }
        }
        // 4. Requests being read and predictions queued or running are answered, within the drain timeout.
        let drainDeadline = ContinuousClock.now + configuration.drainTimeout
        let drained = shutdownProgress.wait(until: drainDeadline) {
            readsBeforeDrain.load(ordering: .sequentiallyConsistent) == 0 && inFlight.value == 0
        }
        if !drained {
            logger.warning(
                """
                drain timeout passed with \(inFlightCount) predictions unanswered and \
                \(readsBeforeDrain.load(ordering: .relaxed)) requests still being read; answering 503
                """
            )
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
        // 5. Workers finish; teardown runs on each; threads are joined.
        stopEndpoints()
        // 6. Let the last answers reach the kernel (bounded), then close everything on every loop.
        _ = shutdownProgress.wait(until: ContinuousClock.now + .seconds(2)) {
            statistics.connections.load(ordering: .sequentiallyConsistent) == 0
        }
        // 7. Every loop closes its handles and stops.
        stopLoops(keepingStatusOfUnstartedLoops: true)
        metrics.stopPublishing { publishMetrics() }
        logger.info("server stopped")
        observer?.serverDidStop(host: host, ports: ports)
        finished.leave()
    }

    /// Called on a loop thread when a connection closed: wakes step 6 when it was the last one of a draining run.
    func connectionClosed(remaining: Int) {
        if remaining == 0 && isDraining { shutdownProgress.unpark() }
    }

    /// Called on a loop thread: `count` more connections are reading requests that started before the drain.
    func readsBeforeDrainBegan(_ count: Int) {
        if count > 0 { readsBeforeDrain.add(count, ordering: .sequentiallyConsistent) }
    }

    /// Called on a loop thread when a connection read the last request that started before the drain: wakes step 4
    /// when it was the last one.
    func readBeforeDrainFinished() {
        if readsBeforeDrain.subtract(1, ordering: .sequentiallyConsistent).newValue == 0 { shutdownProgress.unpark() }
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
