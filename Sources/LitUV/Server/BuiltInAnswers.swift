/// The answers LitUV gives itself, on the loop thread that read the request: `GET /` (`litserve running`),
/// `/health`, `/info`, `/metrics`, the static JSON routes of specs, `POST /shutdown`, and the 503s of a draining
/// server.
extension ServerRuntime {
    func builtInResponse(_ target: Router.Target) -> HTTPResponse {
        switch target {
        case .root:
            return .running
        case .health:
            for endpoint in endpoints where !endpoint.isHealthy { return .notReady }
            return .healthy
        case .liveness:
            return .healthy
        case .info:
            return HTTPResponse(status: .ok, contentType: .json, body: infoBody)
        case .metrics:
            return metricsResponse()
        case .staticJSON(let index):
            if case .readiness(let status, let notReadyBody) = router.staticKinds[index],
                endpoints.contains(where: { !$0.isHealthy })
            {
                return HTTPResponse(status: HTTPStatus(status), contentType: .json, body: notReadyBody)
            }
            return HTTPResponse(status: .ok, contentType: .json, body: router.staticBodies[index])
        case .shutdown, .endpoint:
            return .notFound
        }
    }

    /// `/health` once a shutdown began: 503 `not ready`, and the connection closes after it.
    var shuttingDownHealthResponse: HTTPResponse {
        var response = HTTPResponse.text(.serviceUnavailable, "not ready")
        response.closeConnection = true
        return response
    }

    /// A spec's readiness route once a shutdown began: its not-ready answer, and the connection closes after it.
    func shuttingDownReadinessResponse(status: Int, body: [UInt8]) -> HTTPResponse {
        HTTPResponse(status: HTTPStatus(status), contentType: .json, body: body, closeConnection: true)
    }

    /// A request that started after the drain began (the liveness route excepted): 503 with `Retry-After`, and the
    /// connection closes after it.
    func drainingResponse(for target: Router.Target) -> HTTPResponse {
        if target == .health { return shuttingDownHealthResponse }
        return .error(.serviceUnavailable, "Server is shutting down", headers: [("Retry-After", "1")], close: true)
    }

    func shutdownResponse(authorization: UnsafeRawBufferPointer?) -> HTTPResponse {
        let challenge = [(name: "WWW-Authenticate", value: "Bearer")]
        guard let key = shutdownKey else { return .error(.notFound, "Not Found") }
        guard let authorization else {
            return .error(.unauthorized, "Missing shutdown key: send Authorization: Bearer <key>", headers: challenge)
        }
        guard let token = BearerToken.parse(authorization) else {
            return .error(.unauthorized, "Authorization scheme must be Bearer", headers: challenge)
        }
        guard key.matches(token) else {
            return .error(.unauthorized, "Invalid shutdown key", headers: challenge)
        }
        var response = HTTPResponse.text(.ok, "Server is initiating graceful shutdown.")
        response.afterWrite = { [weak self] in
            // Under a supervisor every process stops, not only this one ("Several processes").
            SupervisedProcess.current?.announceShutdownRequested()
            self?.beginShutdown()
        }
        return response
    }
}
