// Real wire shapes of multipart bodies, captured once and kept as text (every byte is written out).
//
// curl 7.88.1: `curl -F "field=hello world" -F "file=@data.bin" -F "notes=@notes.txt;type=text/plain"
//   -F "photo=@data.bin;filename=café ☕.gif;type=image/gif" -F "empty=" http://127.0.0.1:PORT/predict`,
//   the request read from a listening socket (curl's boundary: 24 dashes and 16 hex digits).
// Python requests 2.34.2 (urllib3 2.7.0): `requests.Request("POST", url, data={"field": "hello world",
//   "count": "3"}, files={"file": ("data.bin", ..., "application/octet-stream"), "photo": ("café ☕.gif",
//   b"GIF89a\r\n--", "image/gif"), "raw": open("notes.txt", "rb")}).prepare().body` (a 32-hex-digit boundary).
// data.bin holds a NUL, CRLFs, dashes and a boundary lookalike.

/// The content of `data.bin` in both captures.
let fixtureFileBytes: [UInt8] = Array(
    """
    GIF\u{0}\r\n\
    --\r\n\
    ------------------------\r\n\
    --boundary?\r\n\
    \r\n\
    end
    """
    .utf8
)

/// curl's `Content-Type` request header value.
let curlContentType = "multipart/form-data; boundary=------------------------e2e17efbee1306ed"

/// curl's boundary.
let curlBoundary = "------------------------e2e17efbee1306ed"

/// curl's request body.
let curlBody =
    """
    --------------------------e2e17efbee1306ed\r\n\
    Content-Disposition: form-data; name=\"field\"\r\n\
    \r\n\
    hello world\r\n\
    --------------------------e2e17efbee1306ed\r\n\
    Content-Disposition: form-data; name=\"file\"; filename=\"data.bin\"\r\n\
    Content-Type: application/octet-stream\r\n\
    \r\n\
    GIF\u{0}\r\n\
    --\r\n\
    ------------------------\r\n\
    --boundary?\r\n\
    \r\n\
    end\r\n\
    --------------------------e2e17efbee1306ed\r\n\
    Content-Disposition: form-data; name=\"notes\"; filename=\"notes.txt\"\r\n\
    Content-Type: text/plain\r\n\
    \r\n\
    plain text\r\n\
    second line\n\
    \r\n\
    --------------------------e2e17efbee1306ed\r\n\
    Content-Disposition: form-data; name=\"photo\"; filename=\"café ☕.gif\"\r\n\
    Content-Type: image/gif\r\n\
    \r\n\
    GIF\u{0}\r\n\
    --\r\n\
    ------------------------\r\n\
    --boundary?\r\n\
    \r\n\
    end\r\n\
    --------------------------e2e17efbee1306ed\r\n\
    Content-Disposition: form-data; name=\"empty\"\r\n\
    \r\n\
    \r\n\
    --------------------------e2e17efbee1306ed--\r\n
    """

/// The boundary of the requests capture.
let requestsBoundary = "07859fd1f9729f6dd6d429501798a93e"

/// The requests capture's body (`Content-Type: multipart/form-data; boundary=07859fd1f9729f6dd6d429501798a93e`).
let requestsBody =
    """
    --07859fd1f9729f6dd6d429501798a93e\r\n\
    Content-Disposition: form-data; name=\"field\"\r\n\
    \r\n\
    hello world\r\n\
    --07859fd1f9729f6dd6d429501798a93e\r\n\
    Content-Disposition: form-data; name=\"count\"\r\n\
    \r\n\
    3\r\n\
    --07859fd1f9729f6dd6d429501798a93e\r\n\
    Content-Disposition: form-data; name=\"file\"; filename=\"data.bin\"\r\n\
    Content-Type: application/octet-stream\r\n\
    \r\n\
    GIF\u{0}\r\n\
    --\r\n\
    ------------------------\r\n\
    --boundary?\r\n\
    \r\n\
    end\r\n\
    --07859fd1f9729f6dd6d429501798a93e\r\n\
    Content-Disposition: form-data; name=\"photo\"; filename=\"café ☕.gif\"\r\n\
    Content-Type: image/gif\r\n\
    \r\n\
    GIF89a\r\n\
    --\r\n\
    --07859fd1f9729f6dd6d429501798a93e\r\n\
    Content-Disposition: form-data; name=\"raw\"; filename=\"notes.txt\"\r\n\
    \r\n\
    plain text\r\n\
    second line\n\
    \r\n\
    --07859fd1f9729f6dd6d429501798a93e--\r\n
    """
