#if canImport(Glibc)
import Glibc
#endif

extension ServerRuntime {
    /// Watches SIGINT and SIGTERM on the first loop: the first starts the graceful shutdown, a second SIGINT exits at
    /// once. Only for servers that asked for it (`run()`, `lituv-example`), never for embedded ones.
    func installSignalHandlers() throws(LitServerError) {
        let loop = loops[0]
        let result: Result<[SignalWatcher], UVError> = loop.runAndWait { [self] in
            Result { () throws(UVError) -> [SignalWatcher] in
                let handler: (Int32) -> Void = { [unowned self] signal in self.handleSignal(signal) }
                return [
                    try SignalWatcher(loop: loop, signal: SIGINT, onSignal: handler),
                    try SignalWatcher(loop: loop, signal: SIGTERM, onSignal: handler),
                ]
            }
        }
        switch result {
        case .success(let watchers): signalWatchers = watchers
        case .failure(let error):
            throw LitServerError(code: .loopFailed, message: "cannot watch signals: \(error)", underlying: error)
        }
    }

    private func handleSignal(_ signal: Int32) {
        let count = interrupts.add(1, ordering: .relaxed).newValue
        if signal == SIGINT && count > 1 {
            Terminal.writeError("LitUV: second interrupt, stopping immediately\n")
            exit(130)
        }
        logger.info("received signal \(signal), shutting down gracefully")
        beginShutdown()
    }
}
