#if canImport(Glibc)
import Glibc  // libm: rounding and fused multiply-add for Double
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A low-level writer of compact JSON, appending UTF-8 bytes to an `inout [UInt8]`.
///
/// The output matches what Python's `json.dumps(..., separators=(",", ":"), ensure_ascii=False)`
/// writes, which is what FastAPI (and so LitServe) sends:
/// - strings keep non-ASCII characters as UTF-8; `"`, `\` and the control characters U+0000–U+001F are
///   escaped (`\n`, `\r`, `\t`, `\b`, `\f`, else `\u00XX` with lowercase hex digits);
/// - floating-point numbers are written like Python's `repr(float)`: the shortest digits that read back
///   to the same value, `16.0`, `0.1`, `1e-05`, `1e+16`, `-0.0`, `1.2345678901234568e+17`;
/// - NaN and infinities are refused (Python's JSON responses refuse them too).
package enum JSONWriter {
    /// Appends `null`.
    /// - Parameter buffer: The output.
    @inline(__always)
    static func writeNull(into buffer: inout [UInt8]) {
        append("null", to: &buffer)
    }

    /// Appends `true` or `false`.
    /// - Parameters:
    ///   - value: The value to write.
    ///   - buffer: The output.
    @inline(__always)
    package static func writeBool(_ value: Bool, into buffer: inout [UInt8]) {
        append(value ? "true" : "false", to: &buffer)
    }

    /// Appends the bytes of a static string (which must be valid JSON text, e.g. `{}`).
    /// - Parameters:
    ///   - text: The bytes to append.
    ///   - buffer: The output.
    @inline(__always)
    package static func append(_ text: StaticString, to buffer: inout [UInt8]) {
        text.withUTF8Buffer { buffer.append(contentsOf: $0) }
    }

    // MARK: Integers

    /// Appends an integer of any width in decimal.
    /// - Parameters:
    ///   - value: The value to write.
    ///   - buffer: The output.
    @inline(__always)
    package static func writeInteger<T: FixedWidthInteger>(_ value: T, into buffer: inout [UInt8]) {
        if T.bitWidth <= 64 {
            if T.isSigned {
                let wide = Int64(truncatingIfNeeded: value)
                if wide < 0 {
                    buffer.append(UInt8(ascii: "-"))
                }
                writeDigits(wide.magnitude, into: &buffer)
            } else {
                writeDigits(UInt64(truncatingIfNeeded: value), into: &buffer)
            }
        } else {
            writeWideInteger(value, into: &buffer)
        }
    }

    /// Appends the decimal digits of a 64-bit magnitude.
    /// - Parameters:
    ///   - value: The magnitude.
    ///   - buffer: The output.
    static func writeDigits(_ value: UInt64, into buffer: inout [UInt8]) {
        if value < 10 {
            buffer.append(UInt8(truncatingIfNeeded: value) &+ 0x30)
            return
        }
        // 20 digits at most; written backwards into a stack buffer.
        var storage: (UInt64, UInt64, UInt64) = (0, 0, 0)
        withUnsafeMutableBytes(of: &storage) { raw in
            var position = raw.count
            var rest = value
            while rest != 0 {
                let (quotient, digit) = rest.quotientAndRemainder(dividingBy: 10)
                position -= 1
                raw[position] = UInt8(truncatingIfNeeded: digit) &+ 0x30
                rest = quotient
            }
            buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: raw[position...]))
        }
    }

    /// Appends an integer wider than 64 bits (Int128, UInt128) in decimal.
    /// - Parameters:
    ///   - value: The value to write.
    ///   - buffer: The output.
    static func writeWideInteger<T: FixedWidthInteger>(_ value: T, into buffer: inout [UInt8]) {
        buffer.append(contentsOf: String(value).utf8)
    }

    // MARK: Strings

    /// Appends a JSON string literal (with quotes) for `string`.
    /// - Parameters:
    ///   - string: The string to write.
    ///   - buffer: The output.
    @inline(__always)
    package static func writeString(_ string: String, into buffer: inout [UInt8]) {
        var string = string
        string.withUTF8 { writeString(utf8: $0, into: &buffer) }
    }

    /// Appends a JSON string literal (with quotes) for UTF-8 text that is already known to be valid.
    /// - Parameters:
    ///   - utf8: The UTF-8 bytes of the string.
    ///   - buffer: The output.
    static func writeString(utf8: UnsafeBufferPointer<UInt8>, into buffer: inout [UInt8]) {
        buffer.append(UInt8(ascii: "\""))
        guard let base = utf8.baseAddress else {
            buffer.append(UInt8(ascii: "\""))
            return
        }
        let count = utf8.count
        var runStart = 0
        var index = 0
        while index < count {
            let byte = base[index]
            if byte >= 0x20 && byte != UInt8(ascii: "\"") && byte != UInt8(ascii: "\\") {
                index += 1
                continue
            }
            if runStart < index {
                buffer.append(contentsOf: UnsafeBufferPointer(start: base + runStart, count: index - runStart))
            }
            writeEscape(byte, into: &buffer)
            index += 1
            runStart = index
        }
        if runStart < count {
            buffer.append(contentsOf: UnsafeBufferPointer(start: base + runStart, count: count - runStart))
        }
        buffer.append(UInt8(ascii: "\""))
    }

    /// Appends the escape sequence for one byte that may not appear raw in a JSON string.
    /// - Parameters:
    ///   - byte: `"`, `\` or a control character below 0x20.
    ///   - buffer: The output.
    private static func writeEscape(_ byte: UInt8, into buffer: inout [UInt8]) {
        buffer.append(UInt8(ascii: "\\"))
        switch byte {
        case UInt8(ascii: "\""): buffer.append(UInt8(ascii: "\""))
        case UInt8(ascii: "\\"): buffer.append(UInt8(ascii: "\\"))
        case 0x0A: buffer.append(UInt8(ascii: "n"))
        case 0x0D: buffer.append(UInt8(ascii: "r"))
        case 0x09: buffer.append(UInt8(ascii: "t"))
        case 0x08: buffer.append(UInt8(ascii: "b"))
        case 0x0C: buffer.append(UInt8(ascii: "f"))
        default:
            let hex: StaticString = "0123456789abcdef"
            let high = hex.utf8Start[Int(byte >> 4)]
            let low = hex.utf8Start[Int(byte & 0x0F)]
            buffer.append(UInt8(ascii: "u"))
            buffer.append(UInt8(ascii: "0"))
            buffer.append(UInt8(ascii: "0"))
            buffer.append(high)
            buffer.append(low)
        }
    }

    // MARK: Floating point

    /// Why a floating-point value could not be written.
    package enum NumberError: Error {
        /// NaN, which JSON cannot represent.
        case nan
        /// Positive or negative infinity, which JSON cannot represent.
        case infinite
    }

    /// Appends a `Double` the way Python's `repr` writes a float: `16.0`, `0.1`, `1e-05`, `1e+16`, `-0.0`.
    /// - Parameters:
    ///   - value: The value to write.
    ///   - buffer: The output.
    /// - Throws: `NumberError` for NaN and infinities (nothing is appended then).
    package static func writeDouble(_ value: Double, into buffer: inout [UInt8]) throws(NumberError) {
        guard value.isFinite else {
            throw value.isNaN ? .nan : .infinite
        }
        if value.sign == .minus {
            buffer.append(UInt8(ascii: "-"))
        }
        let magnitude = value.magnitude
        if magnitude == 0 {
            append("0.0", to: &buffer)
            return
        }
        // Integers below 2^53 are exact: their digits (with trailing zeros dropped) are the shortest
        // representation, and Python writes them in fixed notation since they have at most 16 digits.
        if magnitude < 9_007_199_254_740_992.0, magnitude.rounded(.towardZero) == magnitude {
            writeDigits(UInt64(magnitude), into: &buffer)
            append(".0", to: &buffer)
            return
        }
        if let (digits, exponent) = shortestDecimal(magnitude) {
            writeDecimal(significand: digits, exponent: exponent, into: &buffer)
            return
        }
        writePythonStyle(fromSwiftDescription: magnitude.description, into: &buffer)
    }

    /// Appends a `Float` with its own shortest digits, formatted like Python's `repr` (`0.1`, not
    /// `0.10000000149011612`).
    /// - Parameters:
    ///   - value: The value to write.
    ///   - buffer: The output.
    /// - Throws: `NumberError` for NaN and infinities (nothing is appended then).
    package static func writeFloat(_ value: Float, into buffer: inout [UInt8]) throws(NumberError) {
        guard value.isFinite else {
            throw value.isNaN ? .nan : .infinite
        }
        if value.sign == .minus {
            buffer.append(UInt8(ascii: "-"))
        }
        let magnitude = value.magnitude
        if magnitude == 0 {
            append("0.0", to: &buffer)
            return
        }
        if magnitude < 16_777_216.0, magnitude.rounded(.towardZero) == magnitude {
            writeDigits(UInt64(magnitude), into: &buffer)
            append(".0", to: &buffer)
            return
        }
        writePythonStyle(fromSwiftDescription: magnitude.description, into: &buffer)
    }

    /// Exact powers of ten 10^0 ... 10^22 (all representable as `Double`).
    static let powersOfTen: [Double] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18,
        1e19, 1e20, 1e21, 1e22,
    ]

    /// The shortest decimal `digits × 10^-k` that reads back as `x`, for the common case where the digits fit
    /// below 2^53 and `1 ≤ k ≤ 22`; `nil` when the answer lies elsewhere (the caller then falls back to the
    /// standard library's shortest-digits algorithm).
    ///
    /// For a given `k` the only candidate worth trying is the integer nearest to the exact product
    /// `x × 10^k` (found with a fused multiply-add); it reads back as `x` exactly when
    /// `Double(digits) / 10^k == x`, since both operands are exact and IEEE division rounds correctly.
    /// Success is monotonic in `k` (if `m` works for `k`, `10m` works for `k + 1`, and the nearest integer is
    /// at least as close), so the smallest `k` is found by binary search. Exact ties between two candidates
    /// that both read back are left to the exact algorithm, as are powers of two (lopsided intervals).
    /// - Parameter x: A positive, finite, non-integral value.
    /// - Returns: The digits and the power of ten (negative), or `nil`.
    @inline(__always)
    static func shortestDecimal(_ x: Double) -> (UInt64, Int)? {
        guard x.significandBitPattern != 0 else {
            return nil
        }
        let limit = 9_007_199_254_740_992.0  // 2^53
        // The largest k with x × 10^k below 2^53.
        var high = 22
        while high >= 1 && x * powersOfTen[high] >= limit {
            high -= 1
        }
        if high < 1 {
            return nil
        }
        var found: (UInt64, Int)
        switch candidate(x, high) {
        case .digits(let digits): found = (digits, high)
        case .none, .ambiguous: return nil
        }
        var low = 1
        var upper = high - 1
        while low <= upper {
            let middle = (low + upper) / 2
            switch candidate(x, middle) {
            case .digits(let digits):
                found = (digits, middle)
                upper = middle - 1
            case .none:
                low = middle + 1
            case .ambiguous:
                return nil
            }
        }
        return (found.0, -found.1)
    }

    /// The outcome of trying one number of decimal places.
    enum Candidate {
        /// These digits (over 10^k) read back as the value.
        case digits(UInt64)
        /// No decimal with k places reads back as the value.
        case none
        /// Two decimals with k places are equally near and one of them reads back.
        case ambiguous
    }

    /// Whether the integer nearest to `x × 10^k`, divided by `10^k`, reads back as `x`.
    /// - Parameters:
    ///   - x: The value.
    ///   - k: The number of decimal places, 0...22, such that `x × 10^k < 2^53`.
    /// - Returns: The digits, `.none`, or `.ambiguous` for a tie.
    @inline(__always)
    private static func candidate(_ x: Double, _ k: Int) -> Candidate {
        let power = powersOfTen[k]
        let product = x * power
        let error = (-product).addingProduct(x, power)  // exact: x × power − product
        var nearest = product.rounded(.toNearestOrEven)
        let fraction = (product - nearest) + error
        if fraction > 0.5 {
            nearest += 1
        } else if fraction < -0.5 {
            nearest -= 1
        } else if fraction == 0.5 || fraction == -0.5 {
            let other = fraction > 0 ? nearest + 1 : nearest - 1
            if nearest / power == x || (other > 0 && other / power == x) {
                return .ambiguous
            }
            return .none
        }
        guard nearest > 0, nearest <= 9_007_199_254_740_992.0, nearest / power == x else {
            return .none
        }
        return .digits(UInt64(nearest))
    }

    /// Appends `significand × 10^exponent` in Python's `repr` layout.
    /// - Parameters:
    ///   - significand: The decimal digits as an integer (not zero).
    ///   - exponent: The power of ten.
    ///   - buffer: The output.
    static func writeDecimal(significand: UInt64, exponent: Int, into buffer: inout [UInt8]) {
        var storage: (UInt64, UInt64, UInt64) = (0, 0, 0)
        withUnsafeMutableBytes(of: &storage) { raw in
            var position = raw.count
            var rest = significand
            var exponent = exponent
            // Drop trailing zeros: they belong in the exponent.
            while rest % 10 == 0 {
                rest /= 10
                exponent += 1
            }
            while rest != 0 {
                let (quotient, digit) = rest.quotientAndRemainder(dividingBy: 10)
                position -= 1
                raw[position] = UInt8(truncatingIfNeeded: digit) &+ 0x30
                rest = quotient
            }
            let digits = UnsafeRawBufferPointer(rebasing: raw[position...])
            writePythonLayout(digits: digits, pointPosition: digits.count + exponent, into: &buffer)
        }
    }

    /// Appends a number given by its shortest digits in Python's `repr` layout
    /// (CPython's `format_float_short` with mode `r`).
    ///
    /// The value is `0.d₁d₂…dₙ × 10^pointPosition`. Python uses fixed notation when
    /// `-4 < pointPosition ≤ 16`, and otherwise `d₁.d₂…dₙe±XX` with at least two exponent digits.
    /// - Parameters:
    ///   - digits: The significant digits, ASCII, without leading or trailing zeros.
    ///   - pointPosition: Where the decimal point goes relative to the first digit.
    ///   - buffer: The output.
    static func writePythonLayout(digits: UnsafeRawBufferPointer, pointPosition: Int, into buffer: inout [UInt8]) {
        let count = digits.count
        if pointPosition > -4 && pointPosition <= 16 {
            if pointPosition <= 0 {
                buffer.append(UInt8(ascii: "0"))
                buffer.append(UInt8(ascii: "."))
                for _ in 0..<(-pointPosition) {
                    buffer.append(UInt8(ascii: "0"))
                }
                buffer.append(contentsOf: digits)
            } else if pointPosition >= count {
                buffer.append(contentsOf: digits)
                for _ in 0..<(pointPosition - count) {
                    buffer.append(UInt8(ascii: "0"))
                }
                buffer.append(UInt8(ascii: "."))
                buffer.append(UInt8(ascii: "0"))
            } else {
                buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: digits[..<pointPosition]))
                buffer.append(UInt8(ascii: "."))
                buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: digits[pointPosition...]))
            }
            return
        }
        buffer.append(digits[0])
        if count > 1 {
            buffer.append(UInt8(ascii: "."))
            buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: digits[1...]))
        }
        let exponent = pointPosition - 1
        buffer.append(UInt8(ascii: "e"))
        buffer.append(exponent < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+"))
        if exponent.magnitude < 10 {
            buffer.append(UInt8(ascii: "0"))
        }
        writeDigits(UInt64(exponent.magnitude), into: &buffer)
    }

    /// Re-lays out the standard library's description of a positive finite number (its digits are the
    /// shortest that read back, closest to the value) in Python's `repr` layout.
    ///
    /// Swift writes `1e-05`, `1e+16`, `100000000.0` or `1e+08` (for `Float`) with its own rules for
    /// switching to exponent notation; the digits and the exponent are taken apart and laid out again.
    /// - Parameters:
    ///   - description: `value.description` for a positive finite `Double` or `Float`.
    ///   - buffer: The output.
    static func writePythonStyle(fromSwiftDescription description: String, into buffer: inout [UInt8]) {
        var storage: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        withUnsafeMutableBytes(of: &storage) { raw in
            var count = 0
            var pointPosition = 0
            var seenPoint = false
            var exponent = 0
            var exponentSign = 1
            var inExponent = false
            for byte in description.utf8 {
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"):
                    if inExponent {
                        exponent = exponent * 10 + Int(byte - 0x30)
                    } else if byte == UInt8(ascii: "0") && count == 0 {
                        // A leading zero: it moves the point if after it.
                        if seenPoint {
                            pointPosition -= 1
                        }
                    } else if count < raw.count {
                        raw[count] = byte
                        count += 1
                        if !seenPoint {
                            pointPosition += 1
                        }
                    }
                case UInt8(ascii: "."):
                    seenPoint = true
                case UInt8(ascii: "e"), UInt8(ascii: "E"):
                    inExponent = true
                case UInt8(ascii: "-"):
                    exponentSign = -1
                default:
                    break
                }
            }
            // Integral digits before the point that were zeros after the first digit count too:
            // "100000000.0" has digits 1,0,...; trailing zeros are dropped below.
            while count > 1 && raw[count - 1] == UInt8(ascii: "0") {
                count -= 1
            }
            let digits = UnsafeRawBufferPointer(rebasing: raw[..<count])
            writePythonLayout(digits: digits, pointPosition: pointPosition + exponentSign * exponent, into: &buffer)
        }
    }
}
