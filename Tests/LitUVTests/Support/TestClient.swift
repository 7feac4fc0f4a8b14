import Foundation
import Testing

@testable import LitUV

#if canImport(Glibc)
import Glibc
#endif

/// A parsed HTTP response as a test client saw it.
struct TestResponse: Sendable {
    var status: Int
    var reason: String
    /// Header fields in order, names as sent.
    var headers: [(name: String, value: String)]
    var body: [UInt8]

    var bodyText: String { String(decoding: body, as: UTF8.self) }

    /// The first value of a header (case-insensitive name).
    func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }
}

enum TestClientError: Error, CustomStringConvertible {
    case connectFailed(Int32)
    case timedOut
    case closed
    case malformed(String)
    var description: String {
        switch self {
        case .connectFailed(let e): "connect failed: errno \(e)"
        case .timedOut: "timed out"
        case .closed: "connection closed by server"
        case .malformed(let s): "malformed response: \(s)"
        }
    }
}

/// A blocking HTTP/1.1 client over a plain socket, for exact-bytes tests. Not thread-safe; one per test thread.
final class TestClient {
    let fd: Int32
    private var buffer: [UInt8] = []

    /// Connects to 127.0.0.1:`port` with a receive timeout.
    init(port: Int, timeout: Double = 10) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let status = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        if status != 0 {
            let error = errno
            close(fd)
            throw TestClientError.connectFailed(error)
        }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        setTimeout(timeout)
    }

    deinit { close(fd) }

    func setTimeout(_ seconds: Double) {
        var tv = timeval(tv_sec: Int(seconds), tv_usec: Int((seconds - Double(Int(seconds))) * 1e6))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes {
                Glibc.send(fd, $0.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
            }
            if n <= 0 { throw TestClientError.closed }
            offset += n
        }
    }

    func send(_ text: String) throws { try send(Array(text.utf8)) }

    /// Sends one byte at a time (with a tiny pause so they arrive as separate reads).
    func sendSlowly(_ text: String, pauseMicroseconds: UInt32 = 200) throws {
        for byte in Array(text.utf8) {
            try send([byte])
            usleep(pauseMicroseconds)
        }
    }

    /// Half-closes the sending side (FIN).
    func shutdownWrite() { Glibc.shutdown(fd, Int32(SHUT_WR)) }

    private func fill() throws {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, 65536, 0) }
        if n == 0 { throw TestClientError.closed }
        if n < 0 {
            if errno == EAGAIN || errno == EWOULDBLOCK { throw TestClientError.timedOut }
            throw TestClientError.closed
        }
        buffer.append(contentsOf: chunk[0..<n])
    }

    /// Reads every byte until the server closes the connection (or the read timeout passes: then it throws).
    func readUntilClosed() throws -> [UInt8] {
        while true {
            do {
                try fill()
            } catch TestClientError.closed {
                defer { buffer.removeAll() }
                return buffer
            }
        }
    }

    private func readLine() throws -> String {
        while true {
            if let index = buffer.firstIndex(of: 10), index > 0, buffer[index - 1] == 13 {
                let line = String(decoding: buffer[0..<(index - 1)], as: UTF8.self)
                buffer.removeFirst(index + 1)
                return line
            }
            try fill()
        }
    }

    private func readExactly(_ count: Int) throws -> [UInt8] {
        while buffer.count < count { try fill() }
        let out = Array(buffer[0..<count])
        buffer.removeFirst(count)
        return out
    }

    /// Reads one response. `head` true: the request was HEAD (no body follows).
    func readResponse(head: Bool = false) throws -> TestResponse {
        let statusLine = try readLine()
        let parts = statusLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let status = Int(parts[1]) else {
            throw TestClientError.malformed(statusLine)
        }
        var headers: [(String, String)] = []
        while true {
            let line = try readLine()
            if line.isEmpty { break }
            guard let colon = line.firstIndex(of: ":") else { throw TestClientError.malformed(line) }
            headers.append(
                (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
            )
        }
        var response = TestResponse(
            status: status,
            reason: parts.count > 2 ? String(parts[2]) : "",
            headers: headers,
            body: []
        )
        if head || status == 100 || status == 204 || status == 304 { return response }
        if response.header("Transfer-Encoding")?.lowercased() == "chunked" {
            while true {
                let sizeLine = try readLine()
                guard let size = Int(sizeLine.split(separator: ";")[0], radix: 16) else {
                    throw TestClientError.malformed(sizeLine)
                }
                if size == 0 {
                    while try !readLine().isEmpty {}
                    break
                }
                response.body += try readExactly(size)
                _ = try readLine()
            }
        } else if let length = response.header("Content-Length").flatMap({ Int($0) }) {
            response.body = try readExactly(length)
        } else {
            // Read to EOF.
            while true {
                do { try fill() } catch TestClientError.closed { break }
            }
            response.body = buffer
            buffer.removeAll()
        }
        return response
    }

    /// Sends a request and reads its response.
    func request(_ method: String, _ path: String, body: String? = nil, headers: [String] = []) throws -> TestResponse {
        try send(Self.format(method, path, body: body, headers: headers))
        return try readResponse(head: method == "HEAD")
    }

    static func format(_ method: String, _ path: String, body: String? = nil, headers: [String] = []) -> String {
        var text = "\(method) \(path) HTTP/1.1\r\nHost: test\r\n"
        for header in headers { text += header + "\r\n" }
        if let body { text += "Content-Length: \(body.utf8.count)\r\n" }
        text += "\r\n"
        if let body { text += body }
        return text
    }

    /// True when the server closed the connection (EOF) within the receive timeout, after any buffered bytes.
    func isClosedByServer() -> Bool {
        while true {
            do { try fill() } catch TestClientError.closed { return true } catch { return false }
        }
    }
}

// MARK: - Requests

/// A `POST /predict` request with a JSON body `{"input":x}`.
func predictRequest(_ input: Double, headers: [String] = []) -> String {
    TestClient.format("POST", "/predict", body: #"{"input":\#(input)}"#, headers: headers)
}

/// Sends `count` predictions (`{"input":i}`, `X-Request-Id: <idPrefix>i`) on as many connections at once, so that a
/// worker can take them as one batch, and returns the connections to read the answers from.
func sendPredictionsAtOnce(port: Int, count: Int, idPrefix: String) throws -> [TestClient] {
    let clients = try (0..<count).map { _ in try TestClient(port: port) }
    for (index, client) in clients.enumerated() {
        try client.send(
            TestClient.format(
                "POST",
                "/predict",
                body: #"{"input":\#(index)}"#,
                headers: ["X-Request-Id: \(idPrefix)\(index)"]
            )
        )
    }
    return clients
}

/// Sends raw bytes on a new connection and reads one response.
func sendRaw(_ text: String, port: Int, timeout: Double = 5) throws -> (TestClient, TestResponse) {
    let client = try TestClient(port: port, timeout: timeout)
    try client.send(text)
    return (client, try client.readResponse())
}

extension TestClient {
    /// Makes the socket's close send RST instead of FIN (SO_LINGER with a zero timeout): an abrupt client.
    func resetOnClose() {
        var option = linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &option, socklen_t(MemoryLayout<linger>.size))
    }
}
