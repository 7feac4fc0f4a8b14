// Number conversion for `JSONDecodingContext`: a number node's validated text to `Double`, `Float` or an integer
// of any width, with range checks.

extension JSONDecodingContext {
    /// The pieces of a number's text: up to 19 significant digits as an integer and a power of ten.
    private struct Decimal {
        /// The significant digits (leading zeros dropped).
        var significand: UInt64 = 0
        /// How many significant digits were taken into `significand`.
        var digits = 0
        /// Whether digits were left out because there were more than 19 (non-zero ones, for integers).
        var truncated = false
        /// Whether a non-zero digit was dropped (matters for deciding whether the value is an integer).
        var droppedNonZero = false
        /// The power of ten to multiply `significand` by.
        var exponent = 0
        /// Whether the text starts with `-`.
        var negative = false
    }

    /// Splits validated number text into significand and exponent.
    /// - Parameter text: The number text.
    /// - Returns: The pieces.
    @inline(__always)
    private func scanDecimal(_ text: UnsafeBufferPointer<UInt8>) -> Decimal {
        var result = Decimal()
        var index = 0
        let count = text.count
        if text[0] == UInt8(ascii: "-") {
            result.negative = true
            index = 1
        }
        var afterPoint = false
        while index < count {
            let byte = text[index]
            if byte == UInt8(ascii: ".") {
                afterPoint = true
                index += 1
                continue
            }
            let digit = byte &- UInt8(ascii: "0")
            if digit >= 10 {
                break
            }
            index += 1
            if result.digits == 0 && digit == 0 {
                if afterPoint {
                    result.exponent -= 1
                }
                continue
            }
            if result.digits < 19 {
                result.significand = result.significand &* 10 &+ UInt64(digit)
                result.digits += 1
                if afterPoint {
                    result.exponent -= 1
                }
            } else if result.digits == 19, !result.truncated,
                case let (product, overflow) = result.significand.multipliedReportingOverflow(by: 10), !overflow,
                case let (sum, carry) = product.addingReportingOverflow(UInt64(digit)), !carry
            {
                result.significand = sum
                result.digits += 1
                if afterPoint {
                    result.exponent -= 1
                }
            } else {
                result.truncated = true
                if digit != 0 {
                    result.droppedNonZero = true
                }
                if !afterPoint {
                    result.exponent += 1
                }
            }
        }
        if index < count {
            // The exponent: e, sign, digits.
            index += 1
            var negativeExponent = false
            if text[index] == UInt8(ascii: "-") {
                negativeExponent = true
                index += 1
            } else if text[index] == UInt8(ascii: "+") {
                index += 1
            }
            var exponent = 0
            while index < count {
                if exponent < 100_000 {
                    exponent = exponent * 10 + Int(text[index] &- UInt8(ascii: "0"))
                }
                index += 1
            }
            result.exponent += negativeExponent ? -exponent : exponent
        }
        return result
    }

    /// Decodes a `Double` (integers are accepted). Correctly rounded.
    /// - Parameter index: The tape index.
    /// - Returns: The value.
    @inline(__always)
    func double(at index: Int) throws(JSONValueFailure) -> Double {
        let node = tape[index]
        guard node.kind == .number else {
            throw .mismatch(found: node)
        }
        let text = text(of: node)
        let decimal = scanDecimal(text)
        if !decimal.truncated && decimal.significand <= 1 << 53 {
            var value = Double(decimal.significand)
            if decimal.significand == 0 {
                return decimal.negative ? -0.0 : 0.0
            }
            if decimal.exponent == 0 {
                return decimal.negative ? -value : value
            }
            if decimal.exponent > 0 && decimal.exponent <= 22 {
                value *= JSONWriter.powersOfTen[decimal.exponent]
                return decimal.negative ? -value : value
            }
            if decimal.exponent < 0 && decimal.exponent >= -22 {
                value /= JSONWriter.powersOfTen[-decimal.exponent]
                return decimal.negative ? -value : value
            }
        }
        // The standard library's correctly rounded conversion (locale-independent).
        guard let value = Double(String(decoding: text, as: UTF8.self)), value.isFinite else {
            throw .outOfRange(text: numberText(node), range: "within the range of a 64-bit float")
        }
        return value
    }

    /// Decodes a `Float` (integers are accepted). Correctly rounded from the text, not via `Double`.
    /// - Parameter index: The tape index.
    /// - Returns: The value.
    @inline(__always)
    func float(at index: Int) throws(JSONValueFailure) -> Float {
        let node = tape[index]
        guard node.kind == .number else {
            throw .mismatch(found: node)
        }
        let text = text(of: node)
        let decimal = scanDecimal(text)
        if !decimal.truncated && decimal.significand <= 1 << 24 && decimal.exponent >= -10
            && decimal.exponent <= 10
        {
            var value = Float(decimal.significand)
            if decimal.exponent > 0 {
                value *= Float(JSONWriter.powersOfTen[decimal.exponent])
            } else if decimal.exponent < 0 {
                value /= Float(JSONWriter.powersOfTen[-decimal.exponent])
            }
            return decimal.negative ? -value : value
        }
        guard let value = Float(String(decoding: text, as: UTF8.self)), value.isFinite else {
            throw .outOfRange(text: numberText(node), range: "within the range of a 32-bit float")
        }
        return value
    }

    /// Decodes an integer of any width, with a range check. A number written with a fraction or an
    /// exponent is accepted when its value is a whole number (`1.0`, `1e3`), as Python does.
    /// - Parameters:
    ///   - type: The integer type.
    ///   - index: The tape index.
    /// - Returns: The value.
    @inline(__always)
    func integer<T: FixedWidthInteger>(_ type: T.Type, at index: Int) throws(JSONValueFailure) -> T {
        let node = tape[index]
        guard node.kind == .number else {
            throw .mismatch(found: node)
        }
        let text = text(of: node)
        if node.flag && text.count <= 19 && T.bitWidth <= 64 {
            // Plain integer text of at most 18 digits (and a sign): fits in Int64.
            var index = 0
            let negative = text[0] == UInt8(ascii: "-")
            if negative {
                index = 1
            }
            var magnitude: UInt64 = 0
            while index < text.count {
                magnitude = magnitude &* 10 &+ UInt64(text[index] &- UInt8(ascii: "0"))
                index += 1
            }
            if negative {
                if let value = T(exactly: -Int64(magnitude)) {
                    return value
                }
            } else if let value = T(exactly: magnitude) {
                return value
            }
            throw outOfRange(T.self, node)
        }
        return try wideInteger(T.self, node)
    }

    /// `integer(_:at:)` for long texts, fractions, exponents and 128-bit types.
    /// - Parameters:
    ///   - type: The integer type.
    ///   - node: A number node.
    /// - Returns: The value.
    private func wideInteger<T: FixedWidthInteger>(_ type: T.Type, _ node: JSONNode) throws(JSONValueFailure) -> T {
        if node.flag {
            return try plainInteger(T.self, node)
        }
        let decimal = scanDecimal(text(of: node))
        if decimal.significand == 0 && !decimal.droppedNonZero {
            return 0
        }
        if decimal.droppedNonZero {
            // More than 19 significant digits: either far too large or not a whole number.
            if decimal.exponent + decimal.digits > 19 {
                throw outOfRange(T.self, node)
            }
            throw .notAnInteger(text: numberText(node))
        }
        // Move trailing zeros of the significand into the exponent.
        var significand = decimal.significand
        var exponent = decimal.exponent
        while exponent < 0 && significand % 10 == 0 {
            significand /= 10
            exponent += 1
        }
        if exponent < 0 {
            throw .notAnInteger(text: numberText(node))
        }
        if exponent > 40 || (decimal.negative && !T.isSigned) {
            throw outOfRange(T.self, node)
        }
        // The magnitude significand × 10^exponent, with overflow checks.
        guard var magnitude = T.Magnitude(exactly: significand) else {
            throw outOfRange(T.self, node)
        }
        for _ in 0..<exponent {
            let (product, overflow) = magnitude.multipliedReportingOverflow(by: 10)
            guard !overflow else {
                throw outOfRange(T.self, node)
            }
            magnitude = product
        }
        if decimal.negative {
            guard magnitude <= T.min.magnitude else {
                throw outOfRange(T.self, node)
            }
            return magnitude == T.min.magnitude ? T.min : 0 - T(magnitude)
        }
        guard let value = T(exactly: magnitude) else {
            throw outOfRange(T.self, node)
        }
        return value
    }

    /// Decodes integer text (no fraction, no exponent) of any length into `T`, with overflow checks.
    /// - Parameters:
    ///   - type: The integer type.
    ///   - node: A number node written as an integer.
    /// - Returns: The value.
    private func plainInteger<T: FixedWidthInteger>(_ type: T.Type, _ node: JSONNode) throws(JSONValueFailure) -> T {
        let text = text(of: node)
        let negative = text[0] == UInt8(ascii: "-")
        if negative && !T.isSigned && text.count > 2 {
            throw outOfRange(T.self, node)
        }
        var magnitude: T.Magnitude = 0
        for byte in text[(negative ? 1 : 0)...] {
            let (product, overflow) = magnitude.multipliedReportingOverflow(by: 10)
            let (sum, carry) = product.addingReportingOverflow(T.Magnitude(byte &- UInt8(ascii: "0")))
            guard !overflow && !carry else {
                throw outOfRange(T.self, node)
            }
            magnitude = sum
        }
        if negative {
            guard magnitude <= T.min.magnitude else {
                throw outOfRange(T.self, node)
            }
            return magnitude == T.min.magnitude ? T.min : 0 - T(magnitude)
        }
        guard let value = T(exactly: magnitude) else {
            throw outOfRange(T.self, node)
        }
        return value
    }

    /// The out-of-range failure for an integer type.
    /// - Parameters:
    ///   - type: The integer type.
    ///   - node: The number node.
    /// - Returns: The failure.
    private func outOfRange<T: FixedWidthInteger>(_ type: T.Type, _ node: JSONNode) -> JSONValueFailure {
        .outOfRange(text: numberText(node), range: "between \(T.min) and \(T.max)")
    }
}
