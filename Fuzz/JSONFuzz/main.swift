// libFuzzer target for LitUV's JSON decoder, differential against Foundation's `JSONSerialization`. Built by
// `scripts/fuzz json` from Sources/LitUV/JSON/*.swift and this file (one module, no SwiftPM):
//   swiftc -parse-as-library -sanitize=fuzzer,address -package-name LitUV ... Sources/LitUV/JSON/*.swift \
//       Fuzz/JSONFuzz/main.swift
//
// For every input it decodes a `JSONValue` with `LitJSON` and parses the same bytes with
// `JSONSerialization.jsonObject(with:options: .fragmentsAllowed)`, and checks that
//   - both accept or both reject, except for the intended differences below;
//   - accepted documents have the same value: the same kinds, strings with the same UTF-8 bytes, arrays element by
//     element, objects with the same keys (the last member wins for a repeated key on both sides), numbers equal
//     (exactly, except when Foundation read the number as an `NSDecimalNumber`, whose conversion to `Double` is not
//     correctly rounded: then within a relative 1e-14);
//   - what LitUV accepts, it encodes (`LitJSON.encode`), and both LitUV and Foundation read that encoding back as
//     the same value (so the encoder's output is valid JSON and round-trips).
//
// Intended differences (Fuzz/README.md lists them; LitUV follows RFC 8259, Foundation is lenient):
//   - a trailing comma (`[1,]`, `{"a":1,}`): Foundation accepts it, LitUV rejects it;
//   - encodings: Foundation guesses UTF-16 and UTF-32 from NUL bytes and byte order marks and skips a UTF-8 byte
//     order mark; LitUV reads UTF-8 only (RFC 8259 §8.1) and rejects any byte order mark and every unescaped NUL;
//   - a raw (unescaped) U+FEFF at the start of a string or key, or right after an escape sequence in one:
//     Foundation drops it, LitUV keeps it (an escaped `\ufeff` is kept by both); strings are then compared
//     without their U+FEFFs;
//   - integers too large for Foundation's `Decimal` (over 38 digits with an exponent past its range): Foundation
//     rejects some of them, LitUV reads every finite number as a `Double`.
// Equal on both sides (checked, not skipped): top-level scalars are accepted, a repeated key keeps its last value,
// lone surrogate escapes (`"\ud800"`) and invalid UTF-8 are rejected, numbers outside the `Double` range (`1e400`)
// are rejected and those that underflow (`1e-400`) read as 0, nesting deeper than 512 is rejected.

import Foundation

/// A trap is what libFuzzer reports as a crash (and saves the input for).
func violated(_ message: String, _ input: [UInt8]) -> Never {
    let text = String(decoding: input.prefix(300), as: UTF8.self)
    fatalError("JSONFuzz: \(message)\n  input: \(text.debugDescription)")
}

/// Why two values differ, or nil when they are the same.
func difference(_ lit: JSONValue, _ foundation: Any, path: String) -> String? {
    switch lit {
    case .null:
        return foundation is NSNull ? nil : "\(path): LitUV null, Foundation \(foundation)"
    case .bool(let value):
        guard let number = foundation as? NSNumber, isBoolean(number) else {
            return "\(path): LitUV \(value), Foundation \(foundation)"
        }
        return number.boolValue == value ? nil : "\(path): LitUV \(value), Foundation \(number)"
    case .number(let value):
        guard let number = foundation as? NSNumber, !isBoolean(number) else {
            return "\(path): LitUV number \(value), Foundation \(foundation)"
        }
        return sameNumber(value, number) ? nil : "\(path): LitUV \(value), Foundation \(number) (\(type(of: number)))"
    case .string(let value):
        guard let string = foundation as? String else { return "\(path): LitUV string, Foundation \(foundation)" }
        return sameString(value, string)
            ? nil : "\(path): LitUV \(value.debugDescription), Foundation \(string.debugDescription)"
    case .array(let elements):
        guard let array = foundation as? [Any] else { return "\(path): LitUV array, Foundation \(foundation)" }
        guard array.count == elements.count else {
            return "\(path): LitUV \(elements.count) elements, Foundation \(array.count)"
        }
        for (index, element) in elements.enumerated() {
            if let found = difference(element, array[index], path: "\(path)[\(index)]") { return found }
        }
        return nil
    case .object(let members):
        guard let object = foundation as? [String: Any] else {
            return "\(path): LitUV object, Foundation \(foundation)"
        }
        // Keys are matched without U+FEFF (see `sameString`); where that makes keys collide on one side, only the
        // keys are compared, not which value won.
        let litKeys = Dictionary(grouping: members.keys) { withoutBOMs($0) }
        let foundationKeys = Dictionary(grouping: object.keys) { withoutBOMs($0) }
        guard Set(litKeys.keys) == Set(foundationKeys.keys) else {
            return "\(path): LitUV keys \(members.keys.sorted()), Foundation \(object.keys.sorted())"
        }
        for (stripped, keys) in litKeys {
            guard keys.count == 1, let others = foundationKeys[stripped], others.count == 1 else { continue }
            let key = keys[0]
            if let found = difference(members[key]!, object[others[0]]!, path: "\(path).\(key.debugDescription)") {
                return found
            }
        }
        return nil
    }
}

/// The same text: the same UTF-8 bytes, except that Foundation drops a raw (unescaped) U+FEFF at the start of a
/// string and right after an escape sequence, which LitUV keeps: then the texts must be equal without U+FEFF.
func sameString(_ lit: String, _ foundation: String) -> Bool {
    Array(lit.utf8) == Array(foundation.utf8) || withoutBOMs(lit) == withoutBOMs(foundation)
}

func withoutBOMs(_ string: String) -> [Unicode.Scalar] {
    string.unicodeScalars.filter { $0 != "\u{FEFF}" }
}

/// Foundation's booleans are NSNumbers of Objective-C type `c` (`__NSCFBoolean`).
func isBoolean(_ number: NSNumber) -> Bool {
    String(cString: number.objCType) == "c" && String(describing: type(of: number)).contains("Boolean")
}

/// Numbers are equal when their `Double`s are, except that Foundation's `NSDecimalNumber` (integers beyond 64 bits,
/// long mantissas) converts to `Double` without correct rounding: then a relative 1e-14 is allowed.
func sameNumber(_ lit: Double, _ number: NSNumber) -> Bool {
    let other = number.doubleValue
    if lit == other { return true }
    guard number is NSDecimalNumber else { return false }
    return abs(lit - other) <= 1e-14 * max(abs(lit), abs(other))
}

/// LitUV's error was about a trailing comma: the byte at the error is `]` or `}` and the last byte before it that
/// is not whitespace is a comma.
func isTrailingComma(_ error: JSONError, _ input: [UInt8]) -> Bool {
    guard let offset = error.byteOffset, offset < input.count,
        input[offset] == UInt8(ascii: "]") || input[offset] == UInt8(ascii: "}")
    else { return false }
    var j = offset - 1
    while j >= 0, [0x20, 0x09, 0x0A, 0x0D].contains(input[j]) { j -= 1 }
    return j >= 0 && input[j] == UInt8(ascii: ",")
}

/// Foundation reads this input in another encoding than UTF-8 (NUL bytes or a byte order mark decide).
func foundationGuessesAnotherEncoding(_ input: [UInt8]) -> Bool {
    input.prefix(4).contains(0) || input.starts(with: [0xFE, 0xFF]) || input.starts(with: [0xFF, 0xFE])
        || input.starts(with: [0xEF, 0xBB, 0xBF])
}

/// Some number in the input has more than 38 digits (more than Foundation's `Decimal` holds).
func hasVeryLongNumber(_ input: [UInt8]) -> Bool {
    var run = 0
    for byte in input {
        run = byte &- UInt8(ascii: "0") < 10 ? run + 1 : 0
        if run > 38 { return true }
    }
    return false
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = data == nil ? [] : Array(UnsafeBufferPointer(start: data, count: size))
    let lit: Result<JSONValue, JSONError> = Result { () throws(JSONError) in try JSONValue(parsing: input) }
    if foundationGuessesAnotherEncoding(input) {
        // LitUV reads UTF-8 only: a NUL is never valid JSON text, nor is a byte order mark.
        if case .success(let value) = lit { violated("LitUV accepted a NUL or a byte order mark: \(value)", input) }
        return 0
    }
    let foundation = Result { try JSONSerialization.jsonObject(with: Data(input), options: [.fragmentsAllowed]) }
    switch (lit, foundation) {
    case (.success(let value), .success(let object)):
        if let found = difference(value, object, path: "$") { violated(found, input) }
    case (.failure(let error), .success(let object)):
        if isTrailingComma(error, input) { break }
        violated("LitUV rejected (\(error)), Foundation accepted \(object)", input)
    case (.success(let value), .failure(let error)):
        if hasVeryLongNumber(input) { break }
        violated("LitUV accepted \(value), Foundation rejected (\(error))", input)
    case (.failure, .failure):
        break
    }
    // What LitUV accepts, it encodes as JSON that both parsers read back as the same value.
    if case .success(let value) = lit {
        let encoded: [UInt8]
        do throws(JSONError) { encoded = try LitJSON.encode(value) } catch {
            violated("LitUV cannot encode what it decoded: \(error)", input)
        }
        do throws(JSONError) {
            let again = try JSONValue(parsing: encoded)
            if again != value {
                violated("round trip: \(String(decoding: encoded, as: UTF8.self)) reads as \(again)", input)
            }
        } catch {
            violated("LitUV rejects its own encoding \(String(decoding: encoded, as: UTF8.self)): \(error)", input)
        }
        do {
            let object = try JSONSerialization.jsonObject(with: Data(encoded), options: [.fragmentsAllowed])
            if let found = difference(value, object, path: "$") {
                violated("encoding read by Foundation: \(found)", input)
            }
        } catch {
            violated("Foundation rejects LitUV's encoding \(String(decoding: encoded, as: UTF8.self)): \(error)", input)
        }
    }
    return 0
}
