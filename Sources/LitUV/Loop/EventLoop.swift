import CUV
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// One libuv loop (`uv_loop_t`) running on its own thread.
///
/// Other threads talk to a loop only through ``execute(_:)`` (a lock-free queue plus `uv_async_send`) and
/// ``wake()``; everything else on an `EventLoop` must be touched on its thread (checked with ``assertInLoop()``).
/// ``stop()`` closes every handle still on the loop with `uv_walk`, lets the close callbacks run and then calls
/// `uv_loop_close`, whose result ``closeStatus`` records (0 when the loop was left clean).
final class EventLoop: UVHandleOwner, @unchecked Sendable {
    // Invariant for @unchecked Sendable: `uv`, `wakeupHandle` and `readBuffer` are only dereferenced on the loop
    // thread (or before the thread starts / after it is joined); the cross-thread members are the lock-free
    // `tasks` queue, the atomics, and `uv_async_send`, which libuv documents as thread-safe.

    /// The libuv loop. Loop thread only.
    let uv: UnsafeMutablePointer<uv_loop_t>
    /// This loop's index among the server's loops.
    let index: Int
    /// Shared read buffer for every stream on this loop (libuv fills it, the reader consumes it synchronously).
    let readBuffer: UnsafeMutableRawBufferPointer

    private let wakeupHandle: UnsafeMutablePointer<uv_async_t>
    /// Runs ``onBeforePoll`` once per loop iteration, before the loop blocks for I/O.
    private let prepareHandle: UnsafeMutablePointer<uv_prepare_t>
    private let tasks = MPSCQueue<@Sendable () -> Void>()
    private let stopRequested = Atomic<Bool>(false)
    private let closed = Atomic<Bool>(false)
    private let wakeupsClosed = Atomic<Bool>(false)
    private let activeSenders = Atomic<Int>(0)
    private let loopCloseStatus = Atomic<Int32>(Int32.min)
    private var thread: NativeThread?

    /// Called on the loop thread after every wake-up, once queued tasks ran (the server drains completions here).
    var onWakeup: (() -> Void)?
    /// Called on the loop thread once per iteration, just before the loop waits for I/O: work that was deferred while
    /// callbacks ran (the server wakes predict workers here, once for everything the iteration queued).
    var onBeforePoll: (() -> Void)?
    /// Called on the loop thread when ``stop()`` begins, before `uv_walk` closes the remaining handles.
    var onStop: (() -> Void)?

    /// Creates and initialises a loop; call ``start(name:)`` to run it.
    /// - Throws: ``UVError`` when `uv_loop_init` or `uv_async_init` fails.
    init(index: Int, readBufferSize: Int = 64 * 1024) throws(UVError) {
        self.index = index
        uv = .allocate(capacity: 1)
        let initStatus = uv_loop_init(uv)
        if initStatus < 0 {
            uv.deallocate()
            throw UVError(code: initStatus, operation: "uv_loop_init")
        }
        wakeupHandle = UVHandle.allocate(UV_ASYNC, as: uv_async_t.self)
        prepareHandle = UVHandle.allocate(UV_PREPARE, as: uv_prepare_t.self)
        readBuffer = .allocate(byteCount: readBufferSize, alignment: 16)
        super.init()
        let asyncStatus = uv_async_init(uv, wakeupHandle, eventLoopWakeupCallback)
        if asyncStatus < 0 {
            UVHandle.deallocateUnattached(wakeupHandle)
            UVHandle.deallocateUnattached(prepareHandle)
            _ = uv_loop_close(uv)
            uv.deallocate()
            readBuffer.deallocate()
            throw UVError(code: asyncStatus, operation: "uv_async_init")
        }
        UVHandle.attach(wakeupHandle, to: self)
        // uv_prepare_init and uv_prepare_start cannot fail on an initialised loop (libuv returns 0 unconditionally).
        _ = uv_prepare_init(uv, prepareHandle)
        UVHandle.attach(prepareHandle, to: self)
        _ = uv_prepare_start(prepareHandle, eventLoopPrepareCallback)
        uv.pointee.data = Unmanaged.passUnretained(self).toOpaque()
    }

    deinit {
        // The loop memory is released only after `uv_loop_close` succeeded; a loop that never ran is closed here.
        if !closed.load(ordering: .acquiring) {
            _ = uv_loop_close(uv)
        }
        uv.deallocate()
        readBuffer.deallocate()
    }

    /// The `EventLoop` that owns a libuv loop.
    static func of(_ loop: UnsafeMutablePointer<uv_loop_t>) -> EventLoop {
        Unmanaged<EventLoop>.fromOpaque(loop.pointee.data!).takeUnretainedValue()
    }

    /// Starts the loop's thread.
    /// - Throws: ``ThreadCreationError`` when the thread cannot be created.
    func start(name: String) throws(ThreadCreationError) {
        thread = try NativeThread.spawn(name: name) { [self] in self.runOnThread() }
    }

    /// True on this loop's thread.
    var inLoop: Bool { thread?.isCurrent ?? false }

    /// Traps in debug builds when called off the loop thread.
    @inline(__always)
    func assertInLoop(file: StaticString = #fileID, line: UInt = #line) {
        assert(inLoop, "must run on event loop \(index)", file: file, line: line)
    }

    /// Runs `task` on the loop thread as soon as possible. Callable from any thread.
    func execute(_ task: @escaping @Sendable () -> Void) {
        tasks.enqueue(task)
        wake()
    }

    /// Wakes the loop so it runs queued tasks and ``onWakeup``. Callable from any thread; wake-ups coalesce.
    func wake() {
        // A sender registers before it checks `wakeupsClosed`; the loop sets `wakeupsClosed` and waits for the
        // registered senders to leave before it closes the async handle, so no send can touch a closed handle.
        activeSenders.add(1, ordering: .sequentiallyConsistent)
        if !wakeupsClosed.load(ordering: .sequentiallyConsistent) {
            _ = uv_async_send(wakeupHandle)
        }
        activeSenders.subtract(1, ordering: .sequentiallyConsistent)
    }

    /// Asks the loop to close every handle and finish. Callable from any thread; idempotent.
    func stop() {
        if stopRequested.exchange(true, ordering: .acquiringAndReleasing) { return }
        wake()
    }

    /// Waits for the loop thread to finish.
    func join() {
        thread?.join()
        thread = nil
    }

    /// What `uv_loop_close` returned (0 = every handle was closed), or nil while the loop still runs.
    var closeStatus: Int32? {
        let status = loopCloseStatus.load(ordering: .acquiring)
        return status == Int32.min ? nil : status
    }

    fileprivate func handleWakeup() {
        drainTasks()
        onWakeup?()
        if stopRequested.load(ordering: .acquiring) {
            closeEverything()
        }
    }

    fileprivate func handlePrepare() {
        onBeforePoll?()
    }

    private func drainTasks() {
        while let task = tasks.dequeue() {
            task()
        }
    }

    private var closing = false

    private func closeEverything() {
        if closing { return }
        closing = true
        onStop?()
        drainTasks()
        wakeupsClosed.store(true, ordering: .sequentiallyConsistent)
        while activeSenders.load(ordering: .sequentiallyConsistent) != 0 {
            sched_yield()
        }
        uv_walk(uv, closeEveryHandleCallback, nil)
    }

    private func runOnThread() {
        uv_run(uv, UV_RUN_DEFAULT)
        // uv_run returns once no active handle remains (after `closeEverything`) — or early if someone called
        // uv_stop. Close whatever is left and let the close callbacks run.
        closeEverything()
        uv_run(uv, UV_RUN_DEFAULT)
        drainTasks()
        onWakeup = nil
        onBeforePoll = nil
        onStop = nil
        closed.store(true, ordering: .releasing)
        loopCloseStatus.store(uv_loop_close(uv), ordering: .releasing)
    }
}

private func eventLoopPrepareCallback(_ handle: UnsafeMutablePointer<uv_prepare_t>?) {
    guard let handle, let loop = UVHandle.owner(of: handle, as: EventLoop.self) else { return }
    loop.handlePrepare()
}

private func eventLoopWakeupCallback(_ handle: UnsafeMutablePointer<uv_async_t>?) {
    guard let handle, let loop = UVHandle.owner(of: handle, as: EventLoop.self) else { return }
    loop.handleWakeup()
}
