/// One request's place in a connection's pipeline: its answer (or the work that will produce it) waits here until
/// every earlier answer was written, so pipelined requests are answered in order. Loop thread only.
struct HTTPResponseSlot {
    let sequence: UInt64
    let summary: RequestSummary
    /// What the pipeline adds to this answer, whoever produces it.
    var decoration: ResponseDecoration?
    var pending: PendingResponse?
    var response: HTTPResponse?
    /// Raw bytes to send as they are (an interim `100 Continue`).
    var interim: Bool = false
    /// A streamed answer in progress.
    var stream: Stream?

    /// A streamed answer: its chunks wait here until the slot reaches the front of the pipeline.
    struct Stream {
        var contentType: HTTPResponse.ContentType
        /// A media type of the application's (``HTTPResponse/ContentType/none``), already validated.
        var mediaType: String?
        var timeoutTrailer: [UInt8]
        var headWritten = false
        var chunks: [[UInt8]] = []
        var end: [UInt8]?
        var failure: [UInt8]?
        /// Bytes written to the transport since the last drain, credited back to the worker at the next drain.
        var writtenSinceDrain = 0
        /// Body bytes written in all (chunk payloads, without framing).
        var bodyBytes = 0
    }
}
