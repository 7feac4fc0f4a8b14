import Foundation
import Synchronization
import Testing

@testable import LitUV
@testable import LitUVOpenInference

#if canImport(Glibc)
import Glibc
#endif

/// x² over an FP32 vector, concatenating requests along the first dimension (the example's model).
private struct SquareTensors: LitInferenceModel {
    var inputs: [TensorMetadata] { [TensorMetadata(name: "input", datatype: .fp32, shape: [-1])] }
    var outputs: [TensorMetadata] { [TensorMetadata(name: "output", datatype: .fp32, shape: [-1])] }
    var batchesAlongFirstDimension: Bool { true }

    func predict(_ inputs: [Tensor]) throws -> [Tensor] {
        [Tensor(name: "output", shape: inputs[0].shape, data: .fp32((inputs[0].fp32 ?? []).map { $0 * $0 }))]
    }
}

/// Every datatype in, echoed out: one input and one output per datatype, named after it (`INT64` → `int64`), any
/// shape. `UINT8` input 255 makes the model throw; `INT8` input -1 makes it answer the wrong datatype.
private struct EchoEveryType: LitInferenceModel {
    var inputs: [TensorMetadata] {
        TensorDataType.allCases.map { TensorMetadata(name: $0.rawValue.lowercased(), datatype: $0, shape: [-1]) }
    }
    var outputs: [TensorMetadata] { inputs }

    func predict(_ inputs: [Tensor]) throws -> [Tensor] {
        if inputs.contains(where: { $0.data == .uint8([255]) }) { throw InferenceError.modelFailure("255 refused") }
        if inputs.contains(where: { $0.data == .int8([-1]) }) {
            return inputs.map { Tensor(name: $0.name, shape: [1], data: .fp64([1])) }
        }
        return inputs
    }
}

/// Records the first dimension of each `predict(_:)` call; doubles every value of a `[rows, columns]` FP32 input.
private final class BatchLog: Sendable {
    let calls = Mutex<[[Int]]>([])
}

private struct RecordingTensors: LitInferenceModel {
    let log: BatchLog
    var inputs: [TensorMetadata] { [TensorMetadata(name: "x", datatype: .fp32, shape: [-1, -1])] }
    var outputs: [TensorMetadata] { [TensorMetadata(name: "y", datatype: .fp32, shape: [-1, -1])] }
    var batchesAlongFirstDimension: Bool { true }

    func predict(_ inputs: [Tensor]) throws -> [Tensor] {
        log.calls.withLock { $0.append(inputs[0].shape) }
        return [Tensor(name: "y", shape: inputs[0].shape, data: .fp32((inputs[0].fp32 ?? []).map { $0 * 2 }))]
    }
}

/// Never ready: its setup waits until the test lets it go.
private struct SlowSetup: LitInferenceModel {
    let gate: BatchLog
    var inputs: [TensorMetadata] { [TensorMetadata(name: "input", datatype: .fp32, shape: [-1])] }
    var outputs: [TensorMetadata] { inputs }
    mutating func setup(device: Device) throws {
        while gate.calls.withLock({ $0.isEmpty }) { usleep(1_000) }
    }
    func predict(_ inputs: [Tensor]) throws -> [Tensor] { inputs }
}

/// The JSON object of a body.
private func object(_ response: TestResponse) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any], "\(response)")
}

/// An infer body with one input.
private func inferBody(
    name: String = "input",
    datatype: String = "FP32",
    shape: String = "[3]",
    data: String = "[1, 2, 3]",
    extra: String = ""
) -> String {
    #"{"inputs":[{"name":"\#(name)","datatype":"\#(datatype)","shape":\#(shape),"data":\#(data)}]\#(extra)}"#
}

/// Checks a protocol error answer: the status and a `{"error": "..."}` body containing `words`.
private func expectError(
    _ response: TestResponse,
    _ status: Int,
    _ words: String,
    sourceLocation: SourceLocation = #_sourceLocation
) throws {
    #expect(response.status == status, "\(response)", sourceLocation: sourceLocation)
    #expect(response.header("Content-Type") == "application/json", sourceLocation: sourceLocation)
    let body = try object(response)
    #expect(body.keys.sorted() == ["error"], "\(response.bodyText)", sourceLocation: sourceLocation)
    let message = body["error"] as? String ?? ""
    #expect(message.contains(words), "\(message) should contain \(words)", sourceLocation: sourceLocation)
}

@Suite("Open Inference Protocol: routes and errors over raw HTTP")
struct OpenInferenceRouteTests {
    private func server(configuration: LitServer.Configuration = testConfiguration(ioThreads: 1)) throws -> LitServer {
        try LitServer(
            endpoints: [
                .openInference(SquareTensors(), name: "square", version: "3"),
                .openInference(EchoEveryType(), name: "echo"),
            ],
            configuration: configuration
        )
    }

    @Test func serverMetadataHealthAndModelMetadataAnswerTheProtocolsBodies() throws {
        try withRunningServer(try server()) { running in
            let client = try TestClient(port: running.port)
            let server = try client.request("GET", "/v2")
            #expect(server.status == 200)
            #expect(server.bodyText == #"{"name":"lituv","version":"2","extensions":["binary_tensor_data"]}"#)
            #expect(try client.request("GET", "/v2/health/live").bodyText == #"{"live":true}"#)
            #expect(try client.request("GET", "/v2/health/ready").bodyText == #"{"ready":true}"#)
            let ready = try client.request("GET", "/v2/models/square/ready")
            #expect(ready.status == 200)
            #expect(ready.bodyText == #"{"name":"square","ready":true}"#)
            let metadata = try client.request("GET", "/v2/models/square")
            #expect(metadata.status == 200)
            #expect(
                metadata.bodyText
                    == #"{"name":"square","versions":["3"],"platform":"lituv","inputs":[{"name":"input","#
                    + #""datatype":"FP32","shape":[-1]}],"outputs":[{"name":"output","datatype":"FP32","shape":[-1]}]}"#
            )
            let echo = try object(try client.request("GET", "/v2/models/echo"))
            #expect((echo["inputs"] as? [[String: Any]])?.count == TensorDataType.allCases.count)
            #expect(echo["versions"] == nil, "no version given, none listed")
            let head = try client.request("HEAD", "/v2/health/ready")
            #expect(head.status == 200 && head.body.isEmpty)
        }
    }

    @Test func inferAnswersTheOutputsWithTheModelNameVersionAndTheRequestID() throws {
        try withRunningServer(try server()) { running in
            let client = try TestClient(port: running.port)
            let body = inferBody(data: "[1, 2.5, -3]", extra: #","id":"req-7","parameters":{"priority":1}"#)
            let response = try client.request("POST", "/v2/models/square/infer", body: body)
            #expect(response.status == 200, "\(response)")
            #expect(response.header("Content-Type") == "application/json")
            #expect(
                response.bodyText
                    == #"{"model_name":"square","model_version":"3","id":"req-7","outputs":[{"name":"output","#
                    + #""datatype":"FP32","shape":[3],"data":[1.0,6.25,9.0]}]}"#
            )
            let noID = try client.request("POST", "/v2/models/square/infer", body: inferBody(shape: "[0]", data: "[]"))
            #expect(noID.bodyText.contains(#""shape":[0],"data":[]"#), "\(noID)")
            #expect(!noID.bodyText.contains(#""id""#))
        }
    }

    @Test func everyDatatypeRoundTripsAsJSONAndNestedDataIsReadRowMajor() throws {
        try withRunningServer(try server()) { running in
            let client = try TestClient(port: running.port)
            let values: [(TensorDataType, String, String)] = [
                (.bool, "[[true,false],[false,true]]", "[true,false,false,true]"),
                (.uint8, "[[0,255],[1,2]]", "[0,255,1,2]"),
                (.uint16, "[[0,65535],[1,2]]", "[0,65535,1,2]"),
                (.uint32, "[[0,4294967295],[1,2]]", "[0,4294967295,1,2]"),
                (.uint64, "[[0,9007199254740992],[1,2]]", "[0,9007199254740992,1,2]"),
                (.int8, "[[-128,127],[1,2]]", "[-128,127,1,2]"),
                (.int16, "[[-32768,32767],[1,2]]", "[-32768,32767,1,2]"),
                (.int32, "[[-2147483648,2147483647],[1,2]]", "[-2147483648,2147483647,1,2]"),
                (.int64, "[[-9007199254740992,5],[1,2]]", "[-9007199254740992,5,1,2]"),
                (.fp16, "[[0.5,-65504],[1,2]]", "[0.5,-65504.0,1.0,2.0]"),
                (.fp32, "[[0.25,1e-05],[1,2]]", "[0.25,1e-05,1.0,2.0]"),
                (.fp64, "[[0.1,-2.5],[1,2]]", "[0.1,-2.5,1,2]"),
                (.bytes, #"[["a","é"],["",  "x\"y"]]"#, #"["a","é","","x\"y"]"#),
            ]
            let inputs = values.map { type, data, _ in
                #"{"name":"\#(type.rawValue.lowercased())","datatype":"\#(type)","shape":[2,2],"data":\#(data)}"#
            }
            // The echo model declares [-1] shapes: send every type flat except to check nesting one at a time.
            for (index, (type, _, expected)) in values.enumerated() {
                var flat = inputs
                for other in flat.indices where other != index {
                    let name = values[other].0.rawValue.lowercased()
                    let sample = values[other].0 == .bool ? "[true]" : values[other].0 == .bytes ? #"["s"]"# : "[1]"
                    flat[other] =
                        #"{"name":"\#(name)","datatype":"\#(values[other].0)","shape":[1],"data":\#(sample)}"#
                }
                flat[index] = flat[index].replacingOccurrences(of: #""shape":[2,2]"#, with: #""shape":[4]"#)
                let body =
                    #"{"inputs":[\#(flat.joined(separator: ","))],"outputs":[{"name":"\#(type.rawValue.lowercased())"}]}"#
                let response = try client.request("POST", "/v2/models/echo/infer", body: body)
                #expect(response.status == 200, "\(type): \(response)")
                #expect(
                    response.bodyText.contains(#""shape":[4],"data":\#(expected)}"#),
                    "\(type): \(response.bodyText)"
                )
                let outputs = try object(response)["outputs"] as? [[String: Any]]
                #expect(outputs?.count == 1, "only the requested output")
            }
        }
    }

    @Test func invalidInferRequestsAreAnswered400WithTheProtocolsErrorBody() throws {
        try withRunningServer(try server()) { running in
            let client = try TestClient(port: running.port)
            let path = "/v2/models/square/infer"
            let cases: [(String, String)] = [
                (inferBody(datatype: "FP64"), "data-type is 'FP64', but model 'square' expects 'FP32'"),
                (inferBody(datatype: "FP128"), "unknown datatype 'FP128'"),
                (inferBody(shape: "[4]"), "the shape [4] holds 4, the data has 3"),
                (inferBody(shape: "[3,1]"), "unexpected shape for input 'input' for model 'square'. Expected [-1]"),
                (inferBody(shape: "[-3]"), "every dimension of 'shape' must be a whole number"),
                (inferBody(shape: "\"3\""), "needs a 'shape' array"),
                (inferBody(data: #"[1, "two", 3]"#), "element 1 of 'data' has the wrong JSON type; expected numbers"),
                (inferBody(data: "[1, true, 3]"), "element 1 of 'data' has the wrong JSON type"),
                (inferBody(data: "[1, 2, 1e300]"), "element 2 is out of the range of FP32"),
                (#"{"inputs":[{"name":"input","datatype":"FP32","shape":[3]}]}"#, "input 'input' has no 'data'"),
                (#"{"inputs":[]}"#, "expected 1 inputs but got 0 inputs for model 'square'"),
                (#"{"id":"x"}"#, "missing 'inputs'"),
                (#"{"inputs":{}}"#, "'inputs' must be an array"),
                (inferBody(name: "image"), "unexpected inference input 'image' for model 'square'"),
                (
                    #"{"inputs":[\#(inferBody().dropFirst(11).dropLast(2)),\#(inferBody().dropFirst(11).dropLast(2))]}"#,
                    "input 'input' is given more than once"
                ),
                (inferBody(extra: #","outputs":[{"name":"logits"}]"#), "unexpected inference output 'logits'"),
                (inferBody(extra: #","outputs":{"name":"output"}"#), "'outputs' must be an array"),
                (inferBody(extra: #","id":7"#), "'id' must be a string"),
                (inferBody(extra: #","parameters":[1]"#), "'parameters' must be an object"),
                (#"{"inputs": [1, 2"#, "failed to parse the request JSON"),
                ("[1, 2, 3]", "the request body must be a JSON object"),
                ("", "failed to parse the request JSON"),
            ]
            for (body, words) in cases {
                try expectError(try client.request("POST", path, body: body), 400, words)
            }
            let echo = "/v2/models/echo/infer"
            let int8 = #"{"inputs":[{"name":"int8","datatype":"INT8","shape":[1],"data":[200]}]}"#
            try expectError(try client.request("POST", echo, body: int8), 400, "is not a whole number in the range")
            let half = #"{"inputs":[{"name":"fp16","datatype":"FP16","shape":[1],"data":[70000]}]}"#
            try expectError(try client.request("POST", echo, body: half), 400, "out of the range of FP16")
            let flag = #"{"inputs":[{"name":"bool","datatype":"BOOL","shape":[1],"data":[1]}]}"#
            try expectError(try client.request("POST", echo, body: flag), 400, "expected true or false")
            let text = #"{"inputs":[{"name":"bytes","datatype":"BYTES","shape":[1],"data":[1]}]}"#
            try expectError(try client.request("POST", echo, body: text), 400, "expected strings")
            // The server kept serving.
            #expect(try client.request("POST", path, body: inferBody()).status == 200)
        }
    }

    @Test func unknownModelsRoutesAndMethodsAreAnsweredInTheProtocolsShape() throws {
        try withRunningServer(try server()) { running in
            let client = try TestClient(port: running.port)
            try expectError(
                try client.request("POST", "/v2/models/nope/infer", body: inferBody()),
                404,
                "Request for unknown model: 'nope' is not found"
            )
            try expectError(try client.request("GET", "/v2/models/nope"), 404, "'nope' is not found")
            try expectError(try client.request("GET", "/v2/models/nope/ready"), 404, "'nope' is not found")
            try expectError(try client.request("GET", "/v2/models/square/versions/3/ready"), 404, "Not Found")
            try expectError(try client.request("GET", "/v2/repository/index"), 404, "Not Found: /v2/repository")
            let wrongMethod = try client.request("GET", "/v2/models/square/infer")
            try expectError(wrongMethod, 405, "Method Not Allowed")
            #expect(wrongMethod.header("Allow") == "POST")
            try expectError(try client.request("POST", "/v2/health/ready", body: "{}"), 405, "Method Not Allowed")
            // Outside /v2, LitUV's own shape.
            let other = try client.request("GET", "/nope")
            #expect(other.status == 404 && other.bodyText.hasPrefix(#"{"detail""#))
        }
    }

    @Test func modelFailuresAndWrongOutputsAre500InTheProtocolsShape() throws {
        try withRunningServer(try server()) { running in
            let client = try TestClient(port: running.port)
            let refused = #"{"inputs":[{"name":"uint8","datatype":"UINT8","shape":[1],"data":[255]}]}"#
            let all = TensorDataType.allCases.filter { $0 != .uint8 }.map { type in
                let sample = type == .bool ? "[true]" : type == .bytes ? #"["s"]"# : "[1]"
                return #"{"name":"\#(type.rawValue.lowercased())","datatype":"\#(type)","shape":[1],"data":\#(sample)}"#
            }
            let body = refused.replacingOccurrences(of: "]}]}", with: "]},\(all.joined(separator: ","))]}")
            try expectError(try client.request("POST", "/v2/models/echo/infer", body: body), 500, "255 refused")
            let wrongType = body.replacingOccurrences(of: #""data":[255]"#, with: #""data":[7]"#)
                .replacingOccurrences(
                    of: #""name":"int8","datatype":"INT8","shape":[1],"data":[1]"#,
                    with: #""name":"int8","datatype":"INT8","shape":[1],"data":[-1]"#
                )
            try expectError(
                try client.request("POST", "/v2/models/echo/infer", body: wrongType),
                500,
                "is FP64 but the model declares"
            )
        }
    }

    @Test func theAPIKeysRefusalAndRequestIDsKeepTheProtocolsErrorShape() throws {
        var configuration = testConfiguration(ioThreads: 1)
        configuration.apiKey = "k3y"
        configuration.apiKeyExemptPaths = ["/v2/health/ready"]
        configuration.requestIDs = true
        try withRunningServer(try server(configuration: configuration)) { running in
            let refused = try TestClient(port: running.port).request(
                "POST",
                "/v2/models/square/infer",
                body: inferBody()
            )
            try expectError(refused, 401, "Missing API key")
            #expect(refused.header("X-Request-Id") != nil)
            let client = try TestClient(port: running.port)  // a refused request with a body closes its connection
            #expect(try client.request("GET", "/v2/health/ready").status == 200, "an exempt probe")
            let key = ["Authorization: Bearer k3y"]
            let ok = try client.request("POST", "/v2/models/square/infer", body: inferBody(), headers: key)
            #expect(ok.status == 200, "\(ok)")
            try expectError(try client.request("GET", "/v2/models/nope", headers: key), 404, "'nope' is not found")
            let outside = try client.request("GET", "/nope", headers: key)
            #expect(outside.bodyText.contains(#""request_id""#), "LitUV's shape outside /v2: \(outside)")
        }
    }

    @Test func anOversizedBodyIs413AndTheServerKeepsServing() throws {
        var limits = HTTPLimits()
        limits.maxPayloadSize = 256
        let configuration = testConfiguration(ioThreads: 1, limits: limits)
        try withRunningServer(try server(configuration: configuration)) { running in
            let big = inferBody(
                shape: "[100]",
                data: "[" + Array(repeating: "1.5", count: 100).joined(separator: ",") + "]"
            )
            let response = try TestClient(port: running.port).request("POST", "/v2/models/square/infer", body: big)
            #expect(response.status == 413)
            // Declared too large, refused before the request has a path: LitUV's own error shape.
            #expect(response.bodyText.contains("Request body too large"), "\(response)")
            let after = try TestClient(port: running.port).request("POST", "/v2/models/square/infer", body: inferBody())
            #expect(after.status == 200)
        }
    }

    @Test func readinessIs400UntilSetupFinishedWhileLivenessIs200() throws {
        let gate = BatchLog()
        let server = try LitServer(
            endpoints: [.openInference(SlowSetup(gate: gate), name: "slow")],
            configuration: testConfiguration(ioThreads: 1)
        )
        try withRunningServer(server, waitForReady: false) { running in
            let client = try TestClient(port: running.port)
            let ready = try client.request("GET", "/v2/health/ready")
            #expect(ready.status == 400 && ready.bodyText == #"{"ready":false}"#, "\(ready)")
            let model = try client.request("GET", "/v2/models/slow/ready")
            #expect(model.status == 400 && model.bodyText == #"{"name":"slow","ready":false}"#, "\(model)")
            #expect(try client.request("GET", "/v2/health/live").status == 200)
            gate.calls.withLock { $0.append([1]) }
            var status = 0
            for _ in 0..<2000 where status != 200 {
                status = try client.request("GET", "/v2/models/slow/ready").status
                if status != 200 { usleep(1_000) }
            }
            #expect(status == 200)
        }
    }
}

@Suite("Open Inference Protocol: binary tensor data and batching")
struct OpenInferenceBatchingTests {
    /// An infer request whose FP32 input travels as binary data after the JSON, as tritonclient sends it.
    private func binaryRequest(_ values: [Float], declaredBytes: Int? = nil, extra: [UInt8] = []) -> [UInt8] {
        var binary: [UInt8] = []
        for value in values { withUnsafeBytes(of: value.bitPattern.littleEndian) { binary += $0 } }
        let size = declaredBytes ?? binary.count
        binary += extra
        let json =
            #"{"inputs":[{"name":"input","shape":[\#(values.count)],"datatype":"FP32","#
            + #""parameters":{"binary_data_size":\#(size)}}],"outputs":[{"name":"output","parameters":"#
            + #"{"binary_data":true}}]}"#
        let head =
            "POST /v2/models/square/infer HTTP/1.1\r\nHost: test\r\nContent-Type: application/octet-stream\r\n"
            + "Inference-Header-Content-Length: \(json.utf8.count)\r\n"
            + "Content-Length: \(json.utf8.count + binary.count)\r\n\r\n"
        return Array(head.utf8) + Array(json.utf8) + binary
    }

    @Test func binaryInputDataIsReadAndAnsweredAsJSONData() throws {
        let server = try LitServer(
            endpoints: [.openInference(SquareTensors(), name: "square")],
            configuration: testConfiguration(ioThreads: 1)
        )
        try withRunningServer(server) { running in
            let client = try TestClient(port: running.port)
            try client.send(binaryRequest([1, -2, 0.5, 123]))
            let response = try client.readResponse()
            #expect(response.status == 200, "\(response)")
            #expect(response.bodyText.contains(#""shape":[4],"data":[1.0,4.0,0.25,15129.0]"#), "\(response)")
            try client.send(binaryRequest([1, 2], declaredBytes: 12))
            try expectError(try client.readResponse(), 400, "binary_data_size 12 but only 8 bytes follow")
            try client.send(binaryRequest([1, 2], extra: [0, 0, 0, 0]))
            try expectError(try client.readResponse(), 400, "4 bytes follow the JSON but no input's")
            try client.send(binaryRequest([1, 2, 3], declaredBytes: 10))
            try expectError(try client.readResponse(), 400, "unexpected number of elements for input 'input'")
        }
    }

    @Test func binaryDataOfEveryTypeDecodes() throws {
        func bytes<T: FixedWidthInteger>(_ values: [T]) -> ArraySlice<UInt8> {
            var out: [UInt8] = []
            for value in values { withUnsafeBytes(of: value.littleEndian) { out += $0 } }
            return out[...]
        }
        #expect(
            try BinaryTensorData.decode(bytes([Int64(-5), 7]), as: .int64, count: 2, input: "x") == .int64([-5, 7])
        )
        #expect(
            try BinaryTensorData.decode(bytes([UInt16(65535)]), as: .uint16, count: 1, input: "x") == .uint16([65535])
        )
        #expect(try BinaryTensorData.decode([1, 0, 2], as: .bool, count: 3, input: "x") == .bool([true, false, true]))
        #expect(try BinaryTensorData.decode(bytes([Int32(-1)]), as: .int32, count: 1, input: "x") == .int32([-1]))
        #expect(
            try BinaryTensorData.decode(bytes([Double(2.5).bitPattern]), as: .fp64, count: 1, input: "x")
                == .fp64([2.5])
        )
        // FP16: 1.0 is 0x3C00, -2.0 is 0xC000, 65504 is 0x7BFF, the smallest subnormal is 0x0001.
        let half = try BinaryTensorData.decode(
            bytes([UInt16(0x3C00), 0xC000, 0x7BFF, 0x0001]),
            as: .fp16,
            count: 4,
            input: "x"
        )
        #expect(half == .fp16([1, -2, 65504, Float(sign: .plus, exponent: -24, significand: 1)]))
        let strings = bytes([UInt32(2)]) + [104, 105] + bytes([UInt32(0)])
        #expect(try BinaryTensorData.decode(strings, as: .bytes, count: 2, input: "x") == .bytes([[104, 105], []]))
        #expect(throws: InferenceError.self) {
            try BinaryTensorData.decode(bytes([UInt32(9)]) + [1], as: .bytes, count: 1, input: "x")
        }
    }

    @Test func requestsWhoseOtherDimensionsMatchShareOnePredictCall() throws {
        let log = BatchLog()
        let server = try LitServer(
            endpoints: [
                .openInference(RecordingTensors(log: log), name: "rec", maxBatchSize: 4, batchTimeout: .seconds(10))
            ],
            configuration: testConfiguration(ioThreads: 1)
        )
        try withRunningServer(server) { running in
            // Four requests at once: the batch closes when it holds four (the window is 10 s). Three share the
            // non-batch dimension 3 and go into one call of 2 + 1 + 4 rows; the [2, 2] one runs alone.
            let shapes = [[2, 3], [1, 3], [2, 2], [4, 3]]
            let clients = try shapes.enumerated().map { index, shape in
                let count = shape[0] * shape[1]
                let data = (0..<count).map { String(index * 100 + $0) }.joined(separator: ",")
                let body =
                    #"{"id":"\#(index)","inputs":[{"name":"x","datatype":"FP32","shape":[\#(shape[0]),\#(shape[1])],"data":[\#(data)]}]}"#
                let client = try TestClient(port: running.port)
                try client.send(TestClient.format("POST", "/v2/models/rec/infer", body: body))
                return client
            }
            for (index, client) in clients.enumerated() {
                let response = try client.readResponse()
                #expect(response.status == 200, "\(response)")
                let shape = shapes[index]
                let doubled = (0..<shape[0] * shape[1]).map { String(format: "%.1f", Double(index * 100 + $0) * 2) }
                #expect(
                    response.bodyText.contains(#""id":"\#(index)""#)
                        && response.bodyText.contains(
                            #""shape":[\#(shape[0]),\#(shape[1])],"data":[\#(doubled.joined(separator: ","))]"#
                        ),
                    "\(index): \(response.bodyText)"
                )
            }
            let calls = log.calls.withLock { $0 }
            #expect(calls.sorted { $0[0] < $1[0] } == [[2, 2], [7, 3]], "\(calls)")
        }
    }

    @Test func theDefaultBatchSplitsOutputsByRowsAndRunsMismatchedRequestsAlone() throws {
        let log = BatchLog()
        let model = RecordingTensors(log: log)
        let a = Tensor(name: "x", shape: [1, 2], data: .fp32([1, 2]))
        let b = Tensor(name: "x", shape: [2, 2], data: .fp32([3, 4, 5, 6]))
        let c = Tensor(name: "x", shape: [1, 3], data: .fp32([7, 8, 9]))
        let joined = try model.predict(batch: [[a], [b]])
        #expect(joined.map { $0[0].shape } == [[1, 2], [2, 2]])
        #expect(joined[1][0].data == .fp32([6, 8, 10, 12]))
        #expect(log.calls.withLock { $0 } == [[3, 2]])
        let apart = try model.predict(batch: [[a], [c]])
        #expect(apart.map { $0[0].data } == [.fp32([2, 4]), .fp32([14, 16, 18])])
        #expect(log.calls.withLock { $0 } == [[3, 2], [1, 2], [1, 3]])
    }

    @Test func theJSONHeaderEndsWhereTheTopLevelObjectCloses() throws {
        #expect(try InferenceRequestReader.jsonLength(Array(#" {"a":"}{\""} "#.utf8)) == 14)
        #expect(try InferenceRequestReader.jsonLength(Array(#"{"a":[1,{"b":2}]}XYZ"#.utf8)) == 17)
        #expect(try InferenceRequestReader.jsonLength(Array("[1]".utf8)) == 3)
    }
}
