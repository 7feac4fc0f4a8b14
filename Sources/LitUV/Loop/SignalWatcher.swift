import CUV

/// Watches one POSIX signal on an event loop with `uv_signal_t` and calls a handler on the loop thread.
final class SignalWatcher: UVHandleOwner {
    private let handle: UnsafeMutablePointer<uv_signal_t>
    private let onSignal: (Int32) -> Void
    private var isClosed = false

    /// Starts watching `signal` on `loop`. Loop thread only.
    /// - Throws: ``UVError`` when libuv cannot install the watcher.
    init(loop: EventLoop, signal: Int32, onSignal: @escaping (Int32) -> Void) throws(UVError) {
        loop.assertInLoop()
        self.onSignal = onSignal
        handle = UVHandle.allocate(UV_SIGNAL, as: uv_signal_t.self)
        super.init()
        let status = uv_signal_init(loop.uv, handle)
        if status < 0 {
            UVHandle.deallocateUnattached(handle)
            throw UVError(code: status, operation: "uv_signal_init")
        }
        UVHandle.attach(handle, to: self)
        // The signal is delivered to a thread that does not block it; make sure the loop's thread is one.
        _ = CUV_unblock_signal(signal)
        do throws(UVError) {
            try UVError.check(uv_signal_start(handle, signalWatcherCallback, signal), "uv_signal_start \(signal)")
            // A signal watcher must not keep the loop alive on its own.
            uv_unref(UVHandle.base(handle))
        } catch {
            close()
            throw error
        }
    }

    /// Stops watching and closes the handle. Idempotent.
    func close() {
        if isClosed { return }
        isClosed = true
        UVHandle.close(handle)
    }

    override func handleDidClose(_ handle: UnsafeMutablePointer<uv_handle_t>) {
        isClosed = true
    }

    fileprivate func fire(_ signal: Int32) { onSignal(signal) }
}

private func signalWatcherCallback(_ handle: UnsafeMutablePointer<uv_signal_t>?, _ signal: Int32) {
    guard let handle, let watcher = UVHandle.owner(of: handle, as: SignalWatcher.self) else { return }
    watcher.fire(signal)
}
