import Dispatch

extension EventLoop {
    /// Runs `body` on this loop's thread and waits for its result. Call from another thread only (on the loop's own
    /// thread it would wait for itself); used by the server to bind listeners, set up inline copies and drain.
    func runAndWait<T>(_ body: @escaping () -> T) -> T {
        let result = UncheckedBox<T?>(nil)
        let done = DispatchSemaphore(value: 0)
        let work = UncheckedBox(body)
        execute {
            result.value = work.value()
            done.signal()
        }
        done.wait()
        // The semaphore orders the write above before this read: the value is set.
        guard let value = result.value else { preconditionFailure("runAndWait: the loop did not run the task") }
        return value
    }
}
