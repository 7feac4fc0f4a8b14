// LitJSON (the server's own JSON decoder) is SPI: the codec decodes the request as LitUV's JSON endpoints do.
@_spi(Benchmarks) import LitUV

/// The body of a `--model tone` request.
///
/// `{"frequency": 440, "duration": 1.5}`, with optional `"amplitude"` (0 < a ≤ 1, default 0.5) and `"stream"`
/// (true: the WAV is sent in chunks as it is made; false: whole, with its `Content-Length`).
public struct ToneRequest: Decodable, Sendable, Hashable {
    /// Hz, above 0 and below 11,025 (half the sample rate).
    public var frequency: Double
    /// Seconds, above 0 and at most 30.
    public var duration: Double
    /// The peak as a fraction of full scale; nil for ``Tone/defaultAmplitude``.
    public var amplitude: Double?
    /// Whether to stream; nil for the endpoint's default (`/predict` whole, `/predict/stream` streamed).
    public var stream: Bool?

    /// Creates a request.
    /// - Parameters:
    ///   - frequency: Hz.
    ///   - duration: Seconds.
    ///   - amplitude: The peak as a fraction of full scale.
    ///   - stream: Whether to stream.
    public init(frequency: Double, duration: Double, amplitude: Double? = nil, stream: Bool? = nil) {
        self.frequency = frequency
        self.duration = duration
        self.amplitude = amplitude
        self.stream = stream
    }
}

/// `--model tone`: a sine tone as a 16-bit mono PCM WAV (`audio/wav`, 22,050 Hz), made in pieces: the 44-byte header
/// first (its sizes are known from the duration), then blocks of samples as they are computed.
///
/// Served through ``ToneCodec``, which sends the pieces at once (a chunked stream) or as one body, as the request's
/// `stream` field and the endpoint's default say. Out-of-range parameters answer 422 before any byte is sent.
public struct ToneAPI: LitStreamingAPI {
    /// The JSON body.
    public typealias Request = ToneRequest
    /// Pieces of the WAV file.
    public typealias Response = [UInt8]

    /// Samples per streamed piece after the header.
    public var samplesPerChunk: Int

    /// Creates the model.
    /// - Parameter samplesPerChunk: Samples per piece after the header (default 4096: 8 KiB, ~0.19 s of sound).
    public init(samplesPerChunk: Int = 4096) {
        self.samplesPerChunk = max(1, samplesPerChunk)
    }

    /// Validates the request.
    /// - Throws: ``HTTPError`` 422 naming the field out of range.
    public func decodeRequest(_ request: ToneRequest, context: RequestContext) throws -> Tone {
        try Tone(
            frequency: request.frequency,
            duration: request.duration,
            amplitude: request.amplitude ?? Tone.defaultAmplitude
        )
    }

    /// Emits the WAV header, then the samples, ``samplesPerChunk`` at a time.
    public func predict(_ tone: Tone, emit: ([UInt8]) throws -> Void) throws {
        for chunk in tone.wavChunks(samplesPerChunk: samplesPerChunk) {
            try emit(chunk)
        }
    }

    /// The bytes as they are.
    public func encodeResponse(_ output: [UInt8]) throws -> [UInt8] { output }
}

/// Frames a tone model's answers (``ToneAPI``) as `audio/wav`: streamed (chunked, each piece sent as it is made) or
/// whole (one body with `Content-Length`), as the request's `stream` field says, else as the endpoint's default.
public struct ToneCodec<API: LitStreamingAPI>: StreamingCodec
where API.Request == ToneRequest, API.Output == [UInt8] {
    /// Whether this request streams.
    public typealias State = Bool

    /// Whether a request without a `stream` field streams.
    public var streamsByDefault: Bool

    /// Creates the codec.
    /// - Parameter streamsByDefault: Whether a request without a `stream` field streams.
    public init(streamsByDefault: Bool) {
        self.streamsByDefault = streamsByDefault
    }

    public func decode(body: [UInt8], context: RequestContext, api: API) throws -> (API.Input, Bool) {
        let request = try LitJSON.decode(ToneRequest.self, from: body)
        return (try api.decodeRequest(request, context: context), request.stream ?? streamsByDefault)
    }

    public func isStreamed(_ state: Bool) -> Bool { state }

    public func contentType(_ state: Bool) -> StreamContentType { .media(Tone.contentType) }

    public func encode(_ output: [UInt8], state: inout Bool, api: API) throws -> [UInt8] { output }

    public func end(state: inout Bool) throws -> [UInt8] { [] }

    /// Nothing: a failure inside binary data cannot be told; the stream ends without its last chunk.
    public func errorTrailer(_ message: String, state: Bool) -> [UInt8] { [] }
}
