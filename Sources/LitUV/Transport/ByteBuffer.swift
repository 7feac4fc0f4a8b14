/// A growable byte buffer with a stable base address between mutations, for bytes handed to libuv.
///
/// Unlike `[UInt8]`, its storage can be given to `uv_write` and stay valid until the next mutation, and
/// consuming bytes at the front is O(remaining).
@_spi(Benchmarks) public struct ByteBuffer: ~Copyable {
    private(set) var base: UnsafeMutableRawPointer?
    private(set) var capacity = 0
    public private(set) var count = 0

    public init() {}

    deinit {
        base?.deallocate()
    }

    var isEmpty: Bool { count == 0 }

    /// The readable bytes.
    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    /// Makes room for at least `extra` more bytes.
    mutating func reserve(_ extra: Int) {
        let needed = count + extra
        guard needed > capacity else { return }
        var newCapacity = Swift.max(capacity * 2, 256)
        while newCapacity < needed { newCapacity *= 2 }
        let newBase = UnsafeMutableRawPointer.allocate(byteCount: newCapacity, alignment: 16)
        if let base {
            newBase.copyMemory(from: base, byteCount: count)
            base.deallocate()
        }
        base = newBase
        capacity = newCapacity
    }

    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count > 0, let source = bytes.baseAddress else { return }
        reserve(bytes.count)
        (base! + count).copyMemory(from: source, byteCount: bytes.count)
        count += bytes.count
    }

    mutating func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { append($0) }
    }

    mutating func append(_ byte: UInt8) {
        reserve(1)
        base!.storeBytes(of: byte, toByteOffset: count, as: UInt8.self)
        count += 1
    }

    mutating func append(_ string: StaticString) {
        append(UnsafeRawBufferPointer(start: string.utf8Start, count: string.utf8CodeUnitCount))
    }

    mutating func append(_ string: String) {
        var string = string
        string.withUTF8 { append(UnsafeRawBufferPointer($0)) }
    }

    /// Appends a non-negative integer in decimal.
    mutating func appendDecimal(_ value: Int) {
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes of scratch
        var v = UInt(bitPattern: Swift.max(value, 0))
        withUnsafeMutableBytes(of: &digits) { scratch in
            var index = scratch.count
            repeat {
                index -= 1
                scratch[index] = UInt8(truncatingIfNeeded: v % 10) &+ 48
                v /= 10
            } while v > 0
            append(UnsafeRawBufferPointer(rebasing: scratch[index...]))
        }
    }

    /// Lets `body` write up to `maxCount` bytes at the end; it returns how many it wrote.
    @discardableResult
    mutating func appendInPlace(maxCount: Int, _ body: (UnsafeMutableRawBufferPointer) -> Int) -> Int {
        reserve(maxCount)
        let written = body(UnsafeMutableRawBufferPointer(start: base! + count, count: maxCount))
        count += Swift.max(0, Swift.min(written, maxCount))
        return written
    }

    /// Drops the first `n` bytes, keeping the rest.
    mutating func consume(_ n: Int) {
        precondition(n <= count)
        if n == count {
            count = 0
            return
        }
        guard n > 0, let base else { return }
        base.copyMemory(from: base + n, byteCount: count - n)  // memmove semantics for overlapping ranges
        count -= n
    }

    public mutating func removeAll() {
        count = 0
    }

    /// Releases memory when the buffer is empty and larger than `keep` bytes (idle connections stay small).
    mutating func shrinkIfEmpty(keepingCapacity keep: Int) {
        guard count == 0, capacity > keep else { return }
        base?.deallocate()
        base = nil
        capacity = 0
    }

    /// Exchanges contents with another buffer (no copying).
    mutating func swapContents(with other: inout ByteBuffer) {
        swap(&base, &other.base)
        swap(&capacity, &other.capacity)
        swap(&count, &other.count)
    }
}
