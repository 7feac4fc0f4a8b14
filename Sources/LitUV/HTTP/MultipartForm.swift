/// One part of a `multipart/form-data` body (RFC 7578 §4): a field or a file.
public struct MultipartPart: Sendable {
    /// The `name` parameter of its `Content-Disposition` (the form field's name).
    public var name: String
    /// The file name (`filename*` when sent, RFC 5987, else `filename`), or `nil` for a plain field. Kept as sent:
    /// it may hold path separators, so never use it as a path without checking it.
    public var filename: String?
    /// The part's `Content-Type` value as sent, or `nil` when it had none.
    public var contentType: String?
    /// The parsed `Content-Type`, or `text/plain` when the part had none (the RFC 7578 §4.4 default).
    public var mediaType: MediaType
    /// Every header field of the part, in order, names and values as sent (values without surrounding whitespace),
    /// `Content-Disposition` and `Content-Type` included.
    public var headers: [(name: String, value: String)]
    /// The part's content, exactly as sent.
    public var body: [UInt8]

    /// Creates a part.
    /// - Parameters:
    ///   - name: The field name.
    ///   - filename: The file name, or `nil` for a field.
    ///   - contentType: The `Content-Type` value as sent, or `nil`.
    ///   - headers: The part's header fields.
    ///   - body: The content.
    public init(
        name: String,
        filename: String? = nil,
        contentType: String? = nil,
        headers: [(name: String, value: String)] = [],
        body: [UInt8] = []
    ) {
        self.name = name
        self.filename = filename
        self.contentType = contentType
        self.mediaType =
            contentType.flatMap { MediaType($0) } ?? MediaType(type: "text", subtype: "plain")
        self.headers = headers
        self.body = body
    }

    /// Whether the part is a file (it has a filename).
    public var isFile: Bool { filename != nil }

    /// The content as UTF-8 text, or `nil` if it is not valid UTF-8.
    public var text: String? { String(validating: body, as: UTF8.self) }

    /// The value of the first header field with this name (compared ignoring ASCII case), or `nil`.
    /// - Parameter name: A field name such as `Content-Type`.
    public func header(_ name: String) -> String? {
        let name = name.lowercased()
        return headers.first { $0.name.lowercased() == name }?.value
    }
}

/// A parsed `multipart/form-data` body: its parts in the order sent. Made by ``MultipartParser``.
public struct MultipartForm: Sendable {
    /// Every part, in order. Several parts may share a name.
    public var parts: [MultipartPart]

    /// Creates a form from parts.
    /// - Parameter parts: The parts, in order.
    public init(parts: [MultipartPart] = []) {
        self.parts = parts
    }

    /// The UTF-8 text of the first part named `name` that is not a file, or `nil` if there is none or its content
    /// is not valid UTF-8.
    public subscript(field name: String) -> String? {
        parts.first { $0.name == name && $0.filename == nil }?.text
    }

    /// The first part named `name` that has a filename, or else the first part named `name` (a client may send a
    /// file without a filename), or `nil`.
    /// - Parameter name: The field name, e.g. `file` for `curl -F file=@cat.png`.
    public func file(_ name: String) -> MultipartPart? {
        parts.first { $0.name == name && $0.filename != nil } ?? parts.first { $0.name == name }
    }

    /// Every part named `name`, in order.
    /// - Parameter name: The field name.
    public func parts(named name: String) -> [MultipartPart] {
        parts.filter { $0.name == name }
    }
}
