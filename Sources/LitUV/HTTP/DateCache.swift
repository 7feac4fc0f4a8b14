#if canImport(Glibc)
import Glibc
#endif

/// The `Date` header value (IMF-fixdate), recomputed at most once a second. One per event loop, loop thread only.
@_spi(Benchmarks) public struct DateCache: ~Copyable {
    private var second: time_t = -1
    private var bytes: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)  // 29 bytes used
    static let length = 29

    public init() {}

    private static let days: [StaticString] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let months: [StaticString] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ]

    /// Appends the current date, e.g. `Fri, 27 Nov 2026 22:36:11 GMT`.
    mutating func append(to buffer: inout ByteBuffer) {
        let now = time(nil)
        if now != second {
            second = now
            render(now)
        }
        withUnsafeBytes(of: &bytes) { buffer.append(UnsafeRawBufferPointer(rebasing: $0[0..<Self.length])) }
    }

    /// The current date as a string (for logs and tests).
    static func format(_ t: time_t) -> String {
        var cache = DateCache()
        cache.render(t)
        return withUnsafeBytes(of: &cache.bytes) { String(decoding: $0[0..<length], as: UTF8.self) }
    }

    private mutating func render(_ t: time_t) {
        var value = t
        var parts = tm()
        gmtime_r(&value, &parts)
        withUnsafeMutableBytes(of: &bytes) { out in
            var i = 0
            func put(_ s: StaticString) {
                for j in 0..<s.utf8CodeUnitCount {
                    out[i] = s.utf8Start[j]
                    i += 1
                }
            }
            func two(_ n: Int32) {
                out[i] = UInt8(48 + n / 10)
                out[i + 1] = UInt8(48 + n % 10)
                i += 2
            }
            put(Self.days[Int(parts.tm_wday) % 7])
            put(", ")
            two(parts.tm_mday)
            put(" ")
            put(Self.months[Int(parts.tm_mon) % 12])
            put(" ")
            let year = parts.tm_year + 1900
            two(year / 100)
            two(year % 100)
            put(" ")
            two(parts.tm_hour)
            put(":")
            two(parts.tm_min)
            put(":")
            two(parts.tm_sec)
            put(" GMT")
        }
    }
}
