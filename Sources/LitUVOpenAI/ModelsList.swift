import LitUV

/// The body of `GET /v1/models`: `{"object":"list","data":[{"id":"…","object":"model","created":…,
/// "owned_by":"lituv"}]}`.
enum ModelsList {
    /// The default route.
    static let path = "/v1/models"

    /// The body listing `models` (in order, duplicates dropped), each created at `created`.
    static func body(models: [String], created: Int) -> [UInt8] {
        var seen: [String] = []
        for model in models where !seen.contains(model) { seen.append(model) }
        var json = JSONBytes(capacity: 64 + 80 * seen.count)
        json.raw(#"{"object":"list","data":["#)
        for (index, model) in seen.enumerated() {
            if index > 0 { json.raw(",") }
            json.raw(#"{"id":"#)
            json.string(model)
            json.raw(#","object":"model","created":"#)
            json.int(created)
            json.raw(#","owned_by":"lituv"}"#)
        }
        json.raw("]}")
        return json.bytes
    }

    /// The `GET` route listing `model` on `path`, created now. Model lists registered on the same path by several
    /// OpenAI endpoints (chat and embeddings on one server both add `/v1/models`) are merged into one list.
    static func route(path: String, model: String) -> StaticRoute {
        StaticRoute(path: path, body: body(models: [model], created: OpenAIIDs.now()), merger: merger)
    }

    /// Merges the model lists registered on one path.
    static let merger = StaticRoute.Merger(key: "openai.models") { bodies in merge(bodies) }

    /// Merges several `/v1/models` bodies made by ``body(models:created:)`` into one listing every model once (for
    /// a server with several OpenAI endpoints that each register the route). Bodies it cannot read are skipped.
    static func merge(_ bodies: [[UInt8]]) -> [UInt8] {
        var models: [String] = []
        var created = Int.max
        for body in bodies {
            guard let json = try? JSONValue(parsing: body), case .array(let data)? = json["data"]
            else { continue }
            for entry in data {
                guard let id = entry["id"]?.stringValue else { continue }
                models.append(id)
                if case .number(let time)? = entry["created"] { created = min(created, Int(time)) }
            }
        }
        return body(models: models, created: created == Int.max ? OpenAIIDs.now() : created)
    }
}
