// How a connection takes part in the server's drain: which requests it still reads (those whose first byte came
// before the drain began) and when it tells the server it has read them. The state is `HTTPServerConnection.live`,
// declared in HTTPServerConnection.swift.

extension HTTPServerConnection {
    /// Called by the server when it starts draining. An idle connection with nothing received closes now; any
    /// other finishes reading the requests whose first byte arrived before this moment (including what the kernel
    /// holds for it), answers them, and closes after its last answer. Later requests are answered 503.
    /// - Returns: True when requests that started before the drain are still to be read: the connection then calls
    ///   ``HTTPRequestHandler/connectionFinishedReadingBeforeDrain()`` once they are (or when it closes).
    func beginDrain() -> Bool {
        guard !live.isClosed, !live.closing else { return false }
        let unread = UInt64(transport.unreadByteCount)
        if isIdle && unread == 0 && transport.queuedByteCount == 0 {
            if live.bytesRead == 0 { return awaitFirstRequest() }
            live.closing = true
            transport.closeNow()
            return false
        }
        live.drainMark = live.bytesRead &+ unread
        live.owesDrainRelease = !hasReadEverythingBeforeDrain
        return live.owesDrainRelease
    }

    /// Called by the server for a connection it took from a listener's backlog while draining: the request its client
    /// already sent is served (bytes the kernel holds now, or else the first read), nothing after it.
    /// - Returns: True: the connection calls ``HTTPRequestHandler/connectionFinishedReadingBeforeDrain()`` later.
    func beginDrainAsBacklog() -> Bool {
        let unread = UInt64(transport.unreadByteCount)
        guard unread == 0 else {
            live.drainMark = unread
            live.owesDrainRelease = true
            return true
        }
        return awaitFirstRequest()
    }

    /// A connection that has received nothing yet (its client connected before the drain and may be about to send,
    /// as a proxy does right after `connect`): its first request is served if its first byte arrives within
    /// ``HTTPLoopState/firstRequestGraceAtDrain``; otherwise it is closed then.
    func awaitFirstRequest() -> Bool {
        live.drainMarkAtFirstRead = true
        live.firstByteDeadline = Monotonic.nanoseconds() &+ state.firstRequestGraceAtDrain
        live.owesDrainRelease = true
        rearmTimer()
        return true
    }

    /// Every request that started before the drain has been read (or never will be: the connection is closing).
    var hasReadEverythingBeforeDrain: Bool {
        if live.closing || live.discardingInput { return true }
        return live.current == nil && live.bytesRead &- UInt64(live.carry.count) >= live.drainMark
    }

    /// Tells the server once this connection has read what the drain waits for.
    func releaseDrainIfRead() {
        guard live.owesDrainRelease, !live.drainMarkAtFirstRead, hasReadEverythingBeforeDrain else { return }
        live.owesDrainRelease = false
        handler.connectionFinishedReadingBeforeDrain()
    }
}
