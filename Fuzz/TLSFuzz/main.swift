// libFuzzer target for the TLS record path: arbitrary bytes fed to the server side of OpenSSL's memory BIOs through
// LitUV's own `TLSConnection` (Sources/LitUV/Transport/TLSConnection.swift, compiled as is with TLSContext.swift,
// TLSConfiguration.swift, ByteStream.swift, ByteBuffer.swift and Concurrency/Monotonic.swift over the stub TCP layer
// in StubTCP.swift). Built and run by `scripts/fuzz tls`, which makes a throw-away P-256 certificate for the server
// context first (no network is involved: bytes move between memory buffers only).
//
// The first byte of an input chooses what the rest is:
//   - 0 (mod 4): the client's whole byte stream, handed to `connectionDidRead` in one read, then EOF;
//   - 1: the same in reads of 1–16 bytes (sizes taken from the input, so a crash reproduces);
//   - 2: plaintext, sent by a real in-process OpenSSL client after a complete handshake with the server, in records
//     of up to 1,000 bytes and reads of up to 64 bytes; the server's plaintext handler echoes what it gets, and the
//     client must read back exactly what it sent, then a close_notify must arrive as EOF;
//   - 3: garbage injected after a complete handshake (records the client did not make): the server must close the
//     connection or keep waiting, never hand garbage up as plaintext.
// Every input checks that nothing traps or leaks (ASan, LeakSanitizer), that the handler hears about the close
// exactly as TCPConnection would tell it, and that OpenSSL's per-thread error queue is empty after every call into
// the connection (a stale error there would make the next connection on the loop thread misread its own state).

import CSSL

#if canImport(Glibc)
import Glibc
#endif

func check(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError("TLSFuzz invariant violated: \(message())") }
}

/// The server context: LitUV's own, from the certificate `scripts/fuzz tls` made in the working directory (or in
/// `$LITUV_FUZZ_TLS_DIR`).
let serverContext: TLSContext = {
    let directory = getenv("LITUV_FUZZ_TLS_DIR").map { String(cString: $0) } ?? "."
    do {
        return try TLSContext(
            .files(certificate: directory + "/tls-fuzz-cert.pem", key: directory + "/tls-fuzz-key.pem")
        )
    } catch {
        fatalError("TLSFuzz: cannot build the server context (run through scripts/fuzz tls): \(error)")
    }
}()

/// A client context that trusts anything and offers ALPN http/1.1.
let clientContext: OpaquePointer = {
    guard let context = SSL_CTX_new(TLS_client_method()) else { fatalError("TLSFuzz: SSL_CTX_new failed") }
    SSL_CTX_set_verify(context, SSL_VERIFY_NONE, nil)
    let alpn: [UInt8] = [8] + Array("http/1.1".utf8)
    _ = SSL_CTX_set_alpn_protos(context, alpn, UInt32(alpn.count))
    return context
}()

let loop = EventLoop(readBufferSize: 16 * 1024)

/// The HTTP layer's place: records plaintext and, if asked, echoes it back through the TLS connection.
final class PlaintextSink: TCPConnectionHandler {
    weak var stream: TLSConnection?
    var received: [UInt8] = []
    var echo = false
    var sawEOF = false
    var sawClose = false
    var handshakeFailures = 0

    func connectionDidRead(_ bytes: UnsafeRawBufferPointer) {
        received.append(contentsOf: bytes)
        if echo, let stream {
            stream.withOutputBuffer { $0.append(bytes) }
            stream.flush()
        }
    }
    func connectionDidReachEOF() { sawEOF = true }
    func connectionTimerDidFire() {}
    func connectionDidDrain() {}
    func connectionDidClose() { sawClose = true }
}

/// One server connection over the stub TCP layer.
struct Server {
    let tcp = TCPConnection(loop: loop)
    let sink = PlaintextSink()
    let tls: TLSConnection

    init() {
        let sink = self.sink
        guard
            let tls = TLSConnection(
                tcp: tcp,
                context: serverContext,
                onHandshakeFailure: { sink.handshakeFailures += 1 }
            )
        else {
            fatalError("TLSFuzz: TLSConnection could not be created")
        }
        self.tls = tls
        tls.handler = sink
        sink.stream = tls
        tls.startReading()
    }

    /// Hands `bytes` to the connection as one read, as TCPConnection does.
    func read(_ bytes: ArraySlice<UInt8>) {
        guard !tcp.closed else { return }
        bytes.withUnsafeBytes { tls.connectionDidRead($0) }
        checkErrorQueue("connectionDidRead")
        tcp.deliverClose()
    }

    func endOfInput() {
        if !tcp.closed {
            tls.connectionDidReachEOF()
            checkErrorQueue("connectionDidReachEOF")
        }
        if !tcp.closed {
            tls.closeNow()
            checkErrorQueue("closeNow")
        }
        tcp.deliverClose()
        check(sink.sawClose, "the handler did not hear about the close")
    }
}

func checkErrorQueue(_ call: String) {
    let code = ERR_peek_error()
    if code != 0 {
        var text = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(code, &text, text.count)
        let bytes = text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        check(false, "OpenSSL error queue not empty after \(call): \(String(decoding: bytes, as: UTF8.self))")
    }
}

/// Sizes of 1–16 bytes for splitting, taken from the input itself.
func pieces(of bytes: ArraySlice<UInt8>, sizesFrom sizes: [UInt8]) -> [ArraySlice<UInt8>] {
    var result: [ArraySlice<UInt8>] = []
    var at = bytes.startIndex
    var k = 0
    while at < bytes.endIndex {
        let size = Int(sizes.isEmpty ? 15 : sizes[k % sizes.count] & 15) + 1
        let end = min(bytes.endIndex, at + size)
        result.append(bytes[at..<end])
        at = end
        k += 1
    }
    return result
}

/// An in-process OpenSSL client wired to a `Server`: whatever one sends, the other reads.
final class Client {
    let ssl: OpaquePointer
    let input: OpaquePointer  // what the server sent, for the client to read
    let output: OpaquePointer  // what the client sent, for the server to read

    init() {
        guard let ssl = SSL_new(clientContext), let input = BIO_new(BIO_s_mem()), let output = BIO_new(BIO_s_mem())
        else { fatalError("TLSFuzz: cannot make the client") }
        self.ssl = ssl
        self.input = input
        self.output = output
        SSL_set_bio(ssl, input, output)
        _ = CSSL_SSL_set_tlsext_host_name(ssl, "localhost")
        SSL_set_connect_state(ssl)
    }

    deinit { SSL_free(ssl) }

    /// Moves the client's output to the server in reads of at most `readSize` bytes and the server's output back.
    func exchange(with server: Server, readSize: Int = 1 << 20) {
        var pending = [UInt8](repeating: 0, count: Int(max(0, CSSL_BIO_get_mem_pending(output))))
        if !pending.isEmpty {
            let n = BIO_read(output, &pending, Int32(pending.count))
            var at = 0
            while at < Int(n) {
                let end = min(Int(n), at + readSize)
                server.read(pending[at..<end])
                at = end
            }
        }
        let sent = server.tcp.takeSent()
        if !sent.isEmpty { _ = BIO_write(input, sent, Int32(sent.count)) }
    }

    /// Runs the handshake to completion; false if it failed.
    func handshake(with server: Server) -> Bool {
        for _ in 0..<16 {
            let status = SSL_do_handshake(ssl)
            // Before the exchange: writing to the client's read BIO clears the retry flag SSL_get_error reads.
            let error = SSL_get_error(ssl, status)
            exchange(with: server)
            if status == 1 {
                ERR_clear_error()
                return true
            }
            guard error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE else { break }
        }
        ERR_clear_error()
        return false
    }

    /// Reads whatever plaintext the server has sent.
    func readAll() -> [UInt8] {
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = SSL_read(ssl, &buffer, Int32(buffer.count))
            if n <= 0 { break }
            result += buffer[0..<Int(n)]
        }
        ERR_clear_error()
        return result
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = data == nil ? [] : Array(UnsafeBufferPointer(start: data, count: size))
    guard let mode = input.first else { return 0 }
    let payload = input.dropFirst()
    ERR_clear_error()
    let server = Server()
    switch mode & 3 {
    case 0:
        server.read(payload)
    case 1:
        for piece in pieces(of: payload, sizesFrom: Array(payload.prefix(32))) { server.read(piece) }
    case 2:
        let client = Client()
        check(client.handshake(with: server), "a handshake with OpenSSL's own client failed")
        check(server.tls.serverName == "localhost", "the server did not complete the handshake")
        server.sink.echo = true
        var echoed: [UInt8] = []
        var at = payload.startIndex
        while at < payload.endIndex {
            let end = min(payload.endIndex, at + 1 + Int(payload[at]) * 4)
            let record = Array(payload[at..<end])
            check(SSL_write(client.ssl, record, Int32(record.count)) == Int32(record.count), "client write failed")
            client.exchange(with: server, readSize: 1 + Int(payload[at] & 63))
            echoed += client.readAll()
            at = end
        }
        check(server.sink.received == Array(payload), "the server read other plaintext than the client sent")
        check(echoed == Array(payload), "the client read back other plaintext than it sent")
        _ = SSL_shutdown(client.ssl)
        client.exchange(with: server)
        check(server.sink.sawEOF, "close_notify did not reach the handler as EOF")
        ERR_clear_error()
    default:
        let client = Client()
        check(client.handshake(with: server), "a handshake with OpenSSL's own client failed")
        for piece in pieces(of: payload, sizesFrom: Array(payload.prefix(32))) { server.read(piece) }
        check(server.sink.received.isEmpty, "garbage after the handshake was handed up as plaintext")
    }
    server.endOfInput()
    return 0
}
