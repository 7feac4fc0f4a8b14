/// The header fields the built-in pipeline steps read, found in one pass over the head without allocating: value
/// ranges into the buffer being parsed, valid while it is.
struct PipelineFields {
    var host: Range<Int>?
    var origin: Range<Int>?
    var apiKey: Range<Int>?
    var requestID: Range<Int>?
    var acceptEncoding: Range<Int>?
    var corsRequestMethod: Range<Int>?
    var corsRequestHeaders: Range<Int>?
    /// A second `X-API-Key` field (then the key is refused: which one counts would be ambiguous).
    var repeatedAPIKey = false

    init(_ head: HTTPRequestHead, in buffer: UnsafeRawBufferPointer) {
        for field in head.headers {
            let name = field.name
            // Dispatch on the length first: most fields are compared against nothing.
            switch name.count {
            case 4:
                if host == nil, HTTPRequestParser.equalsIgnoringCase(buffer, name, "host") { host = field.value }
            case 6:
                if origin == nil, HTTPRequestParser.equalsIgnoringCase(buffer, name, "origin") {
                    origin = field.value
                }
            case 9:
                if HTTPRequestParser.equalsIgnoringCase(buffer, name, "x-api-key") {
                    if apiKey == nil { apiKey = field.value } else { repeatedAPIKey = true }
                }
            case 12:
                if requestID == nil, HTTPRequestParser.equalsIgnoringCase(buffer, name, "x-request-id") {
                    requestID = field.value
                }
            case 15:
                if acceptEncoding == nil, HTTPRequestParser.equalsIgnoringCase(buffer, name, "accept-encoding") {
                    acceptEncoding = field.value
                }
            case 29:
                if corsRequestMethod == nil,
                    HTTPRequestParser.equalsIgnoringCase(buffer, name, "access-control-request-method")
                {
                    corsRequestMethod = field.value
                }
            case 30:
                if corsRequestHeaders == nil,
                    HTTPRequestParser.equalsIgnoringCase(buffer, name, "access-control-request-headers")
                {
                    corsRequestHeaders = field.value
                }
            default:
                break
            }
        }
    }
}
