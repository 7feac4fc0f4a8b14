import CUV

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A joinable OS thread (pthreads), for event loops and predict workers that must be joined on shutdown.
final class NativeThread: Sendable {
    // `pthread_t` is written once in `spawn` before the handle is shared and only read by `join`.
    private nonisolated(unsafe) var thread: pthread_t = pthread_t()

    private init() {}

    private final class Box {
        let name: String
        let body: () -> Void
        init(name: String, body: @escaping () -> Void) {
            self.name = name
            self.body = body
        }
    }

    /// Starts a thread running `body`.
    /// - Parameters:
    ///   - name: The thread's name as shown by `top -H` (truncated to 15 bytes).
    ///   - body: The work; it is run once and released on the new thread.
    /// - Throws: ``LitServerError`` when the system refuses to create the thread.
    static func spawn(name: String, _ body: @escaping @Sendable () -> Void) throws(LitServerError) -> NativeThread {
        let handle = NativeThread()
        let box = Unmanaged.passRetained(Box(name: name, body: body)).toOpaque()
        let rc = pthread_create(&handle.thread, nil, nativeThreadEntry, box)
        if rc != 0 {
            Unmanaged<Box>.fromOpaque(box).release()
            throw LitServerError.threadCreationFailed(errno: rc)
        }
        return handle
    }

    /// Waits for the thread to finish. Call once.
    func join() {
        pthread_join(thread, nil)
    }

    /// True when called from this thread.
    var isCurrent: Bool { pthread_equal(thread, pthread_self()) != 0 }

    fileprivate static func run(_ context: UnsafeMutableRawPointer) {
        let box = Unmanaged<Box>.fromOpaque(context).takeRetainedValue()
        let name = String(box.name.utf8.prefix(15)) ?? "lituv"
        CUV_set_thread_name(name)
        box.body()
    }
}

private func nativeThreadEntry(_ context: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    if let context { NativeThread.run(context) }
    return nil
}

/// Monotonic time in nanoseconds (CLOCK_MONOTONIC, the clock libuv's `uv_hrtime` also reads).
enum Monotonic {
    @inline(__always)
    static func nanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }
}
