// The load generator's libuv side: one uv loop per load thread, one uv_tcp_t per connection. All of lituv-bench's
// libuv pointer work and every C callback is in this file (OpenSSL's is in TLSClient.swift).
//
// Ownership, as in LitUV: a handle's `data` holds a retained reference to its owner (`passRetained` when the
// handle is initialised, `takeUnretainedValue` in callbacks, `release` and free in the `uv_close` callback, nowhere
// earlier). A connect request retains its connection until its callback, which libuv always calls (with
// UV_ECANCELED when the handle closed first). A write request carries its own copy of the bytes that `uv_try_write`
// could not send, freed in its callback. At the end every handle is closed and `uv_loop_close` must return 0.

import CUV
import Histogram
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

// MARK: - Addresses

/// A resolved socket address (IPv4 or IPv6).
struct ResolvedAddress: Sendable, CustomStringConvertible {
    fileprivate var storage = sockaddr_storage()
    let description: String

    /// Resolves `host` (a literal address or a name, via getaddrinfo) and `port`.
    init(host: String, port: Int) throws(BenchError) {
        description = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_family = AF_UNSPEC
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let first = list, let address = first.pointee.ai_addr else {
            throw BenchError("cannot resolve \(host): \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(list) }
        withUnsafeMutableBytes(of: &storage) { target in
            target.copyMemory(from: UnsafeRawBufferPointer(start: address, count: Int(first.pointee.ai_addrlen)))
        }
    }
}

// MARK: - Threads

/// Runs each plan on its own thread (its own uv loop) and returns their results once all have finished.
func runLoadThreads(_ plans: [WorkerPlan]) throws(BenchError) -> [WorkerResult] {
    let workers = plans.map { LoadWorker(plan: $0) }
    var threads: [pthread_t] = []
    for worker in workers {
        var thread = pthread_t()
        let box = Unmanaged.passRetained(worker).toOpaque()
        let status = pthread_create(&thread, nil, loadThreadMain, box)
        guard status == 0 else {
            Unmanaged<LoadWorker>.fromOpaque(box).release()
            for started in threads { pthread_join(started, nil) }
            throw BenchError("cannot start a load thread: errno \(status)")
        }
        threads.append(thread)
    }
    for thread in threads { pthread_join(thread, nil) }
    return workers.map(\.result)
}

private func loadThreadMain(_ argument: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    let worker = Unmanaged<LoadWorker>.fromOpaque(argument!).takeRetainedValue()
    worker.run()
    return nil
}

// MARK: - C callbacks (file-private, with libuv's exact signatures)

private func onConnect(_ request: UnsafeMutablePointer<uv_connect_t>?, _ status: Int32) {
    guard let request else { return }
    let connection = Unmanaged<Connection>.fromOpaque(request.pointee.data).takeRetainedValue()
    request.deallocate()
    connection.didConnect(status: status)
}

private func onAllocate(
    _ handle: UnsafeMutablePointer<uv_handle_t>?,
    _ suggested: Int,
    _ buffer: UnsafeMutablePointer<uv_buf_t>?
) {
    guard let handle, let buffer else { return }
    let connection = Unmanaged<Connection>.fromOpaque(handle.pointee.data).takeUnretainedValue()
    let read = connection.worker.readBuffer
    buffer.pointee = uv_buf_init(read.baseAddress!.assumingMemoryBound(to: CChar.self), UInt32(read.count))
}

private func onRead(_ stream: UnsafeMutablePointer<uv_stream_t>?, _ nread: Int, _ buffer: UnsafePointer<uv_buf_t>?) {
    guard let stream, let data = stream.pointee.data else { return }
    let connection = Unmanaged<Connection>.fromOpaque(data).takeUnretainedValue()
    if nread > 0, let base = buffer?.pointee.base {
        connection.didRead(UnsafeRawBufferPointer(start: base, count: nread))
    } else if nread < 0 {
        connection.didFailRead(status: Int32(nread))
    }
}

private func onWrite(_ request: UnsafeMutablePointer<uv_write_t>?, _ status: Int32) {
    guard let request else { return }
    if status < 0 && status != UV_ECANCELED.rawValue, let handle = request.pointee.handle,
        let data = handle.pointee.data
    {
        Unmanaged<Connection>.fromOpaque(data).takeUnretainedValue().didFailWrite(status: status)
    }
    UnsafeMutableRawPointer(request).deallocate()  // the request and its bytes are one allocation
}

private func onConnectionClosed(_ handle: UnsafeMutablePointer<uv_handle_t>?) {
    guard let handle else { return }
    let connection = Unmanaged<Connection>.fromOpaque(handle.pointee.data).takeRetainedValue()
    handle.pointee.data = nil
    handle.withMemoryRebound(to: uv_tcp_t.self, capacity: 1) { $0.deallocate() }
    connection.didClose()
}

private func onTimerClosed(_ handle: UnsafeMutablePointer<uv_handle_t>?) {
    handle?.withMemoryRebound(to: uv_timer_t.self, capacity: 1) { $0.deallocate() }
}

private func onIdleClosed(_ handle: UnsafeMutablePointer<uv_handle_t>?) {
    handle?.withMemoryRebound(to: uv_idle_t.self, capacity: 1) { $0.deallocate() }
}

private func onHousekeeping(_ timer: UnsafeMutablePointer<uv_timer_t>?) {
    guard let timer else { return }
    Unmanaged<LoadWorker>.fromOpaque(timer.pointee.data).takeUnretainedValue().housekeeping()
}

private func onStopTimer(_ timer: UnsafeMutablePointer<uv_timer_t>?) {
    guard let timer else { return }
    Unmanaged<LoadWorker>.fromOpaque(timer.pointee.data).takeUnretainedValue().stop()
}

private func onPaceTimer(_ timer: UnsafeMutablePointer<uv_timer_t>?) {
    guard let timer else { return }
    Unmanaged<LoadWorker>.fromOpaque(timer.pointee.data).takeUnretainedValue().pace()
}

private func onPaceIdle(_ idle: UnsafeMutablePointer<uv_idle_t>?) {
    guard let idle else { return }
    Unmanaged<LoadWorker>.fromOpaque(idle.pointee.data).takeUnretainedValue().pace()
}

// MARK: - One load thread

/// One uv loop and its connections. Everything here runs on the worker's own thread.
private final class LoadWorker {
    let plan: WorkerPlan
    private(set) var result = WorkerResult()
    let readBuffer: UnsafeMutableRawBufferPointer
    /// Plaintext out of OpenSSL (TLS only).
    let plainBuffer: UnsafeMutableRawBufferPointer
    /// Ciphertext out of OpenSSL before it is written (TLS only).
    let cipherScratch: UnsafeMutableRawBufferPointer

    private let loop: UnsafeMutablePointer<uv_loop_t>
    private var timers: [UnsafeMutablePointer<uv_timer_t>] = []
    private var housekeepingTimer: UnsafeMutablePointer<uv_timer_t>?
    private var stopTimer: UnsafeMutablePointer<uv_timer_t>?
    private var paceTimer: UnsafeMutablePointer<uv_timer_t>?
    private var paceIdle: UnsafeMutablePointer<uv_idle_t>?
    private var paceIdleActive = false
    private var paceTimerDue: UInt64 = .max

    /// The live connection of each slot (nil while it is closed, or not opened yet).
    private var slots: [Connection?]
    /// Slots opened once at least (the first `opened` slots); the rest wait for a connect slot.
    private var opened = 0
    private var pendingConnects = 0
    private(set) var stopping = false

    // Open loop.
    private var rate = 0.0
    private var issued = 0
    private var backlog: TimeRing
    private var dispatchCursor = 0
    private static let maxBacklog = 1 << 20

    /// Whether this thread already printed an error message (the first of a kind is enough).
    private var reported = false

    // Idle mode.
    private var idleSettled = 0
    private var holdStarted = false

    init(plan: WorkerPlan) {
        self.plan = plan
        readBuffer = .allocate(byteCount: 64 * 1024, alignment: 16)
        plainBuffer = .allocate(byteCount: plan.tls == nil ? 1 : 64 * 1024, alignment: 16)
        cipherScratch = .allocate(byteCount: plan.tls == nil ? 1 : 32 * 1024, alignment: 16)
        loop = .allocate(capacity: 1)
        slots = Array(repeating: nil, count: plan.connections)
        backlog = TimeRing(capacity: 1024)
        if case .openLoop(let rate) = plan.mode { self.rate = rate }
    }

    deinit {
        readBuffer.deallocate()
        plainBuffer.deallocate()
        cipherScratch.deallocate()
        loop.deallocate()
    }

    var isMeasuring: Bool {
        let now = uv_hrtime()
        return now >= plan.measureStart && now < plan.measureEnd
    }

    func inWindow(_ now: UInt64) -> Bool { now >= plan.measureStart && now < plan.measureEnd }

    // MARK: Run

    func run() {
        let status = uv_loop_init(loop)
        guard status == 0 else {
            Terminal.err("lituv-bench: uv_loop_init failed: \(String(cString: uv_strerror(status)))\n")
            result.loopCloseStatus = status
            return
        }
        let me = Unmanaged.passUnretained(self).toOpaque()  // the worker outlives its loop (run() holds it)
        housekeepingTimer = makeTimer(me)
        uv_timer_start(housekeepingTimer, onHousekeeping, 10, 10)
        if case .idle = plan.mode {
            // The hold timer is started once every connection settled.
        } else {
            stopTimer = makeTimer(me)
            let now = uv_hrtime()
            let milliseconds = plan.measureEnd > now ? (plan.measureEnd - now + 999_999) / 1_000_000 : 0
            uv_timer_start(stopTimer, onStopTimer, milliseconds, 0)
        }
        if case .openLoop = plan.mode {
            paceTimer = makeTimer(me)
            let idle = UnsafeMutablePointer<uv_idle_t>.allocate(capacity: 1)
            uv_idle_init(loop, idle)
            idle.pointee.data = me
            paceIdle = idle
        }
        openMoreConnections()
        if case .openLoop = plan.mode { pace() }

        uv_run(loop, UV_RUN_DEFAULT)
        result.loopCloseStatus = uv_loop_close(loop)
        if result.loopCloseStatus != 0 {
            Terminal.err("lituv-bench: uv_loop_close returned \(result.loopCloseStatus) on thread \(plan.index)\n")
        }
    }

    private func makeTimer(_ owner: UnsafeMutableRawPointer) -> UnsafeMutablePointer<uv_timer_t> {
        let timer = UnsafeMutablePointer<uv_timer_t>.allocate(capacity: 1)
        uv_timer_init(loop, timer)
        timer.pointee.data = owner
        timers.append(timer)
        return timer
    }

    /// Ends the run: closes every connection and timer; uv_run then returns.
    func stop() {
        guard !stopping else { return }
        stopping = true
        for connection in slots { connection?.close() }
        for timer in timers {
            timer.withMemoryRebound(to: uv_handle_t.self, capacity: 1) { uv_close($0, onTimerClosed) }
        }
        timers.removeAll()
        if let idle = paceIdle {
            idle.withMemoryRebound(to: uv_handle_t.self, capacity: 1) { uv_close($0, onIdleClosed) }
            paceIdle = nil
        }
    }

    // MARK: Connections

    /// Opens slots not opened yet, while fewer than `maxPendingConnects` connects are in progress.
    private func openMoreConnections() {
        while !stopping && opened < slots.count && pendingConnects < plan.maxPendingConnects {
            open(slot: opened)
            opened += 1
        }
    }

    private func open(slot: Int) {
        let connection = Connection(worker: self, slot: slot, loop: loop)
        slots[slot] = connection
        pendingConnects += 1
        if !connection.connect(to: plan.address) {
            pendingConnects -= 1
        }
    }

    func connectionDidConnect(_ connection: Connection, ok: Bool) {
        pendingConnects -= 1
        if ok {
            result.connectsSucceeded += 1
        } else {
            countError(\.connect)
        }
        openMoreConnections()
    }

    func connectionDidClose(_ connection: Connection) {
        if slots[connection.slot] === connection { slots[connection.slot] = nil }
        if case .idle = plan.mode, !connection.settled {
            connection.settled = true
            idleConnectionSettled(ok: false)
        }
        if case .openLoop = plan.mode { dispatchBacklog() }
    }

    /// Every 10 ms: timeouts, and reconnecting closed slots (not in idle mode).
    func housekeeping() {
        guard !stopping else { return }
        let now = uv_hrtime()
        for connection in slots {
            guard let connection, let oldest = connection.oldestSendTime, now &- oldest > plan.timeout else { continue }
            countError(\.timeout, count: connection.inFlight)
            connection.dropInFlight()
            connection.close()
        }
        if case .idle = plan.mode { return }
        for slot in 0..<opened where slots[slot] == nil {
            result.reconnects += 1
            open(slot: slot)
        }
    }

    /// Prints the first error message of this thread (later ones are only counted).
    func reportOnce(_ message: String) {
        guard !reported, !stopping else { return }
        reported = true
        Terminal.err("lituv-bench: thread \(plan.index): \(message) (further errors are only counted)\n")
    }

    func countError(_ kind: WritableKeyPath<ErrorCounts, Int>, count: Int = 1) {
        guard count > 0 else { return }
        if case .idle = plan.mode {
            result.errors[keyPath: kind] += count
        } else if isMeasuring {
            result.errors[keyPath: kind] += count
        }
    }

    func recordResponse(status: Int, sentAt: UInt64, now: UInt64) {
        guard inWindow(now) else { return }
        result.completed += 1
        _ = result.latency.record(now &- sentAt)
        let statusClass = status / 100 - 1
        result.statusClasses[(0..<5).contains(statusClass) ? statusClass : 5] += 1
    }

    func countBytes(_ n: Int) {
        if isMeasuring { result.bytesRead += n }
    }

    func countHandshake() { result.tlsHandshakes += 1 }

    /// A connection is ready for requests (connected, and TLS handshake done).
    func connectionIsReady(_ connection: Connection) {
        switch plan.mode {
        case .closedLoop:
            connection.sendRequests(plan.pipeline, intended: nil)
        case .openLoop:
            takeQueued(on: connection)
        case .idle:
            connection.sendRequests(1, intended: nil)
        }
    }

    /// A connection finished reading responses; it may take more work.
    func connectionCanSend(_ connection: Connection) {
        switch plan.mode {
        case .closedLoop:
            let missing = plan.pipeline - connection.inFlight
            if missing > 0 { connection.sendRequests(missing, intended: nil) }
        case .openLoop:
            takeQueued(on: connection)
        case .idle:
            if !connection.settled && connection.inFlight == 0 {
                connection.settled = true
                idleConnectionSettled(ok: true)
            }
        }
    }

    // MARK: Idle mode

    private func idleConnectionSettled(ok: Bool) {
        guard case .idle(let hold, let progress) = plan.mode else { return }
        if ok { result.idleOpen += 1 }
        progress.connectionSettled(ok: ok, hold: hold)
        idleSettled += 1
        if idleSettled == slots.count && !holdStarted {
            holdStarted = true
            let timer = makeTimer(Unmanaged.passUnretained(self).toOpaque())
            uv_timer_start(timer, onStopTimer, hold / 1_000_000, 0)
        }
    }

    // MARK: Open loop

    /// The intended send time of the k-th request of this thread.
    private func intendedTime(_ k: Int) -> UInt64 {
        plan.startTime &+ UInt64(Double(k) * 1e9 / rate)
    }

    /// Queues every request whose intended time has come, sends what connections can take, and schedules the
    /// next wake-up: a timer when the next request is more than 2 ms away, else an idle handle (the loop polls
    /// without blocking), so send times are accurate to microseconds rather than libuv's milliseconds.
    func pace() {
        guard !stopping, rate > 0 else { return }
        let now = uv_hrtime()
        while intendedTime(issued) <= now && intendedTime(issued) < plan.measureEnd {
            let time = intendedTime(issued)
            issued += 1
            if backlog.count >= Self.maxBacklog {
                if inWindow(now) { result.errors.dropped += 1 }
                continue
            }
            backlog.append(time)
        }
        result.maxBacklog = max(result.maxBacklog, backlog.count)
        dispatchBacklog()
        let next = intendedTime(issued)
        guard next < plan.measureEnd else {
            setIdle(false)
            return
        }
        if plan.coarsePacing {
            // Once a millisecond at most: libuv's timers have millisecond resolution.
            uv_timer_start(paceTimer, onPaceTimer, max(1, (next &- now) / 1_000_000), 0)
        } else if next > now &+ 2_000_000 {
            setIdle(false)
            let due = next - 1_000_000
            if due != paceTimerDue {
                paceTimerDue = due
                uv_timer_start(paceTimer, onPaceTimer, (due - now) / 1_000_000, 0)
            }
        } else {
            setIdle(true)
        }
    }

    private func setIdle(_ active: Bool) {
        guard let idle = paceIdle, active != paceIdleActive else { return }
        paceIdleActive = active
        if active { uv_idle_start(idle, onPaceIdle) } else { uv_idle_stop(idle) }
    }

    /// Open loop: a connection that just got room (connected, or read its answers) takes the oldest queued requests
    /// itself. Looking for it with ``dispatchBacklog()`` would cost a scan of every slot per answer once all the
    /// connections are busy, which is when the load generator can least afford it.
    private func takeQueued(on connection: Connection) {
        let room = plan.pipeline - connection.inFlight
        guard !stopping, room > 0, backlog.count > 0 else { return }
        connection.sendQueued(min(room, backlog.count), from: &backlog)
    }

    /// Hands queued requests to connections with room in their pipeline, round-robin.
    func dispatchBacklog() {
        guard !stopping, backlog.count > 0, !slots.isEmpty else { return }
        var checked = 0
        while backlog.count > 0 && checked < slots.count {
            let slot = dispatchCursor
            dispatchCursor = dispatchCursor + 1 == slots.count ? 0 : dispatchCursor + 1
            guard let connection = slots[slot], connection.isReady else {
                checked += 1
                continue
            }
            let room = plan.pipeline - connection.inFlight
            guard room > 0 else {
                checked += 1
                continue
            }
            let n = min(room, backlog.count)
            connection.sendQueued(n, from: &backlog)
            checked = 0
        }
    }
}

// MARK: - One connection

/// One TCP connection (one `uv_tcp_t`); a reconnect is a new `Connection` in the same slot.
private final class Connection {
    unowned let worker: LoadWorker
    let slot: Int
    private let tcp: UnsafeMutablePointer<uv_tcp_t>
    private var parser: HTTPResponseParser
    private var tls: TLSClientSession?
    /// When each request in flight was meant to be sent (closed loop: when it was sent).
    private var intendedTimes = TimeRing(capacity: 4)
    /// When each request in flight was actually sent (for timeouts).
    private var sentTimes = TimeRing(capacity: 4)
    private(set) var isReady = false
    private var closing = false
    /// Idle mode: this connection has been counted (answered, or failed).
    var settled = false

    init(worker: LoadWorker, slot: Int, loop: UnsafeMutablePointer<uv_loop_t>) {
        self.worker = worker
        self.slot = slot
        parser = HTTPResponseParser(headRequests: worker.plan.request.isHead)
        tcp = .allocate(capacity: 1)
        uv_tcp_init(loop, tcp)
        tcp.pointee.data = Unmanaged.passRetained(self).toOpaque()  // released in onConnectionClosed
    }

    var inFlight: Int { intendedTimes.count }
    var oldestSendTime: UInt64? { sentTimes.first }

    private var stream: UnsafeMutablePointer<uv_stream_t> {
        UnsafeMutableRawPointer(tcp).assumingMemoryBound(to: uv_stream_t.self)
    }

    private var handle: UnsafeMutablePointer<uv_handle_t> {
        UnsafeMutableRawPointer(tcp).assumingMemoryBound(to: uv_handle_t.self)
    }

    /// Starts connecting. Returns false (and closes) when the connect could not even be started.
    func connect(to address: ResolvedAddress) -> Bool {
        let request = UnsafeMutablePointer<uv_connect_t>.allocate(capacity: 1)
        request.pointee.data = Unmanaged.passRetained(self).toOpaque()  // released in onConnect
        var storage = address.storage
        let status = withUnsafePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { uv_tcp_connect(request, tcp, $0, onConnect) }
        }
        guard status == 0 else {
            Unmanaged<Connection>.fromOpaque(request.pointee.data).release()
            request.deallocate()
            worker.countError(\.connect)
            close()
            return false
        }
        return true
    }

    func didConnect(status: Int32) {
        guard status == 0, !closing else {
            if status != 0 && status != UV_ECANCELED.rawValue {
                worker.reportOnce("connect to \(worker.plan.address): \(String(cString: uv_strerror(status)))")
            }
            worker.connectionDidConnect(self, ok: false)
            close()
            return
        }
        worker.connectionDidConnect(self, ok: true)
        uv_tcp_nodelay(tcp, 1)
        let readStatus = uv_read_start(stream, onAllocate, onRead)
        guard readStatus == 0 else {
            worker.countError(\.read)
            close()
            return
        }
        if let context = worker.plan.tls {
            do {
                let session = try TLSClientSession(context: context)
                tls = session
                _ = try session.handshake()
                flushCiphertext()
            } catch {
                tlsFailed(error)
            }
            return
        }
        isReady = true
        worker.connectionIsReady(self)
    }

    // MARK: Reading

    func didRead(_ bytes: UnsafeRawBufferPointer) {
        guard !closing else { return }
        worker.countBytes(bytes.count)
        guard let tls else {
            parse(bytes, now: uv_hrtime())
            return
        }
        do {
            try tls.feed(bytes)
            if !tls.handshakeDone {
                guard try tls.handshake() == .done else {
                    flushCiphertext()
                    return
                }
                flushCiphertext()
                worker.countHandshake()
                isReady = true
                worker.connectionIsReady(self)
            }
            let now = uv_hrtime()
            while !closing {
                guard let n = try tls.readPlaintext(into: worker.plainBuffer) else {
                    peerClosed()  // close_notify
                    return
                }
                if n == 0 { break }
                parse(UnsafeRawBufferPointer(rebasing: worker.plainBuffer[0..<n]), now: now)
            }
            flushCiphertext()  // key updates, session tickets acknowledged, ...
        } catch {
            tlsFailed(error)
        }
    }

    private func parse(_ bytes: UnsafeRawBufferPointer, now: UInt64) {
        var closesAfter = false
        let typed = bytes.assumingMemoryBound(to: UInt8.self)
        do {
            try parser.consume(typed.span) { response in
                guard intendedTimes.count > 0 else {
                    closesAfter = true  // a response nobody asked for
                    return
                }
                let intended = intendedTimes.removeFirst()
                _ = sentTimes.removeFirst()
                worker.recordResponse(status: response.status, sentAt: intended, now: now)
                if response.closesConnection { closesAfter = true }
            }
        } catch {
            worker.reportOnce("bad response: \(error)")
            worker.countError(\.parse, count: max(1, inFlight))
            dropInFlight()
            close()
            return
        }
        if closesAfter {
            worker.countError(\.closed, count: inFlight)
            dropInFlight()
            close()
            return
        }
        worker.connectionCanSend(self)
    }

    func didFailRead(status: Int32) {
        if status == UV_EOF.rawValue {
            peerClosed()
        } else {
            worker.reportOnce("read: \(String(cString: uv_strerror(status)))")
            worker.countError(\.read)
            dropInFlight()
            close()
        }
    }

    private func peerClosed() {
        if let response = parser.finish(), inFlight > 0 {
            let now = uv_hrtime()
            let intended = intendedTimes.removeFirst()
            _ = sentTimes.removeFirst()
            worker.recordResponse(status: response.status, sentAt: intended, now: now)
        }
        worker.countError(\.closed, count: inFlight)
        dropInFlight()
        close()
    }

    func didFailWrite(status: Int32) {
        guard !closing else { return }
        worker.countError(\.write)
        dropInFlight()
        close()
    }

    private func tlsFailed(_ error: TLSClientError) {
        worker.reportOnce("\(error)")
        worker.countError(\.tls)
        dropInFlight()
        close()
    }

    // MARK: Writing

    /// Sends `count` requests at once (closed loop: measured from now).
    func sendRequests(_ count: Int, intended: UInt64?) {
        guard isReady, !closing, count > 0 else { return }
        let now = uv_hrtime()
        for _ in 0..<count {
            intendedTimes.append(intended ?? now)
            sentTimes.append(now)
        }
        send(worker.plan.request.requests(count))
    }

    /// Open loop: sends the `count` oldest queued requests, each measured from its intended time.
    func sendQueued(_ count: Int, from backlog: inout TimeRing) {
        guard isReady, !closing, count > 0 else { return }
        let now = uv_hrtime()
        for _ in 0..<count {
            intendedTimes.append(backlog.removeFirst())
            sentTimes.append(now)
        }
        send(worker.plan.request.requests(count))
    }

    private func send(_ plaintext: UnsafeRawBufferPointer) {
        guard let tls else {
            sendRaw(plaintext)
            return
        }
        do {
            try tls.write(plaintext)
        } catch {
            tlsFailed(error)
            return
        }
        flushCiphertext()
    }

    private func flushCiphertext() {
        guard let tls, !closing else { return }
        tls.takeCiphertext(scratch: worker.cipherScratch) { sendRaw($0) }
    }

    /// Writes with `uv_try_write`; what the kernel did not take goes out with `uv_write` from a copy.
    private func sendRaw(_ bytes: UnsafeRawBufferPointer) {
        guard !closing, bytes.count > 0, let base = bytes.baseAddress else { return }
        var buffer = uv_buf_init(
            UnsafeMutablePointer(mutating: base.assumingMemoryBound(to: CChar.self)),
            UInt32(bytes.count)
        )
        let written = Int(uv_try_write(stream, &buffer, 1))
        if written == bytes.count { return }
        if written < 0 && written != Int(UV_EAGAIN.rawValue) {
            worker.countError(\.write)
            dropInFlight()
            close()
            return
        }
        let offset = max(0, written)
        let rest = bytes.count - offset
        let requestSize = (MemoryLayout<uv_write_t>.stride + 15) & ~15
        let memory = UnsafeMutableRawPointer.allocate(byteCount: requestSize + rest, alignment: 16)
        (memory + requestSize).copyMemory(from: base + offset, byteCount: rest)
        let request = memory.bindMemory(to: uv_write_t.self, capacity: 1)
        var queued = uv_buf_init((memory + requestSize).assumingMemoryBound(to: CChar.self), UInt32(rest))
        let status = uv_write(request, stream, &queued, 1, onWrite)
        if status != 0 {
            memory.deallocate()
            worker.countError(\.write)
            dropInFlight()
            close()
        }
    }

    // MARK: Closing

    /// Forgets the requests in flight (they were counted as errors by the caller).
    func dropInFlight() {
        intendedTimes.removeAll()
        sentTimes.removeAll()
    }

    func close() {
        guard !closing else { return }
        closing = true
        isReady = false
        if uv_is_closing(handle) == 0 {
            uv_close(handle, onConnectionClosed)
        }
    }

    func didClose() {
        tls = nil
        worker.connectionDidClose(self)
    }
}
