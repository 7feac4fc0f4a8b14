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
    /// - Throws: ``ThreadCreationError`` when the system refuses to create the thread.
    static func spawn(name: String, _ body: @escaping @Sendable () -> Void) throws(ThreadCreationError) -> NativeThread
    {
        let handle = NativeThread()
        let box = Unmanaged.passRetained(Box(name: name, body: body)).toOpaque()
        let rc = pthread_create(&handle.thread, nil, nativeThreadEntry, box)
        if rc != 0 {
            Unmanaged<Box>.fromOpaque(box).release()
            throw ThreadCreationError(code: rc)
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

/// `pthread_create` failed; `code` is its result (EAGAIN when the system is out of threads or memory).
struct ThreadCreationError: Error, Sendable, CustomStringConvertible {
    let code: Int32
    var description: String { "cannot create a thread (error \(code))" }
}
