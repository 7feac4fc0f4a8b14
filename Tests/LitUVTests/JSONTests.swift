import Foundation
import Testing

@_spi(Benchmarks) @testable import LitUV

// MARK: - Helpers

/// The compact JSON text LitJSON writes for `value`.
private func jsonText<T: Encodable>(_ value: T) throws -> String {
    String(decoding: try LitJSON.encode(value), as: UTF8.self)
}

/// Decodes `T` from text.
private func litDecode<T: Decodable>(_ type: T.Type, _ text: String) throws(JSONError) -> T {
    try LitJSON.decode(T.self, from: Array(text.utf8))
}

/// The message of the error LitJSON throws for decoding `text` as `T`, or nil if it decodes.
private func litDecodeError<T: Decodable>(_ type: T.Type, _ text: String) -> String? {
    litDecodeError(T.self, Array(text.utf8))
}

/// The message of the error LitJSON throws for decoding `bytes` as `T`, or nil if it decodes.
private func litDecodeError<T: Decodable>(_ type: T.Type, _ bytes: [UInt8]) -> String? {
    do {
        _ = try LitJSON.decode(T.self, from: bytes)
        return nil
    } catch {
        return error.description
    }
}

/// Whether `text` is accepted as JSON (decoded as a value of any shape).
private func isValidJSONText(_ text: String) -> Bool {
    litDecodeError(AnyJSONValue.self, text) == nil
}

/// Any JSON value, decoded through the generic containers.
private indirect enum AnyJSONValue: Codable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([AnyJSONValue])
    case object([String: AnyJSONValue])

    init(from decoder: any Decoder) throws {
        let single = try decoder.singleValueContainer()
        if single.decodeNil() {
            self = .null
        } else if let value = try? single.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? single.decode(Double.self) {
            self = .number(value)
        } else if let value = try? single.decode(String.self) {
            self = .string(value)
        } else if let value = try? single.decode([AnyJSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try single.decode([String: AnyJSONValue].self))
        }
    }

    func encode(to encoder: any Encoder) throws {
        var single = encoder.singleValueContainer()
        switch self {
        case .null: try single.encodeNil()
        case .bool(let value): try single.encode(value)
        case .number(let value): try single.encode(value)
        case .string(let value): try single.encode(value)
        case .array(let value): try single.encode(value)
        case .object(let value): try single.encode(value)
        }
    }
}

private struct SquareRequest: Codable, Equatable {
    var input: Double
}

private struct SquareResponse: Codable, Equatable {
    var output: Double
}

private struct LevelBody: Codable, Equatable {
    var level: Int8
}

private struct PointBody: Codable, Equatable {
    var x: Int
    var y: Double?
}

private struct OrderBody: Codable, Equatable {
    struct Item: Codable, Equatable {
        var sku: String
        var quantity: UInt16
        var price: Float
        var tags: [String]
    }
    var id: Int64
    var customer: String?
    var items: [Item]
    var shipped: Bool
    var notes: [String: String]
    var matrix: [[Double]]
    var bytes: [UInt8]
    var nothing: Int?
}

private let sampleOrderBody = OrderBody(
    id: -9_007_199_254_740_993,
    customer: "Zoë \"Z\" O'Brien\n",
    items: [
        .init(sku: "A-1", quantity: 65535, price: 0.1, tags: ["new", "ünïcödé", "😀"]),
        .init(sku: "B\\2", quantity: 0, price: -3.5e-7, tags: []),
    ],
    shipped: true,
    notes: ["gift": "yes"],
    matrix: [[1, 2.5], [], [-0.0, 1e300]],
    bytes: [0, 127, 255],
    nothing: nil
)

// MARK: - Float formatting

@Suite struct JSONFloatFormattingTests {
    @Test(
        arguments: [
            (0.0, "0.0"), (-0.0, "-0.0"), (1.0, "1.0"), (16.0, "16.0"), (0.1, "0.1"), (1e-05, "1e-05"),
            (1.5e300, "1.5e+300"), (123456789012345680.0, "1.2345678901234568e+17"),
            (Double.leastNonzeroMagnitude, "5e-324"),
            (1e16, "1e+16"), (1e15, "1000000000000000.0"), (9007199254740992.0, "9007199254740992.0"),
            (0.0001, "0.0001"), (0.00012, "0.00012"), (2.5e-05, "2.5e-05"), (123.456, "123.456"), (0.25, "0.25"),
            (0.75, "0.75"), (1.0 / 3.0, "0.3333333333333333"), (2.0 / 3.0, "0.6666666666666666"), (1e22, "1e+22"),
            (1e23, "1e+23"), (1.7976931348623157e308, "1.7976931348623157e+308"),
            (2.2250738585072014e-308, "2.2250738585072014e-308"), (-1.5, "-1.5"), (100.0, "100.0"),
            (0.30000000000000004, "0.30000000000000004"), (4.35, "4.35"), (1234567.125, "1234567.125"),
            (0.5488135039273248, "0.5488135039273248"), (12345678901234567.0, "1.2345678901234568e+16"),
            (-123456.789e-20, "-1.23456789e-15"), (2e-7, "2e-07"), (65504.0, "65504.0"),
        ] as [(Double, String)]
    )
    func doubleIsWrittenLikePythonRepr(value: Double, expected: String) throws {
        #expect(try jsonText(value) == expected)
        #expect(try jsonText(SquareResponse(output: value)) == "{\"output\":\(expected)}")
    }

    @Test(
        arguments: [
            (Float(0.1), "0.1"), (Float(16), "16.0"), (Float(1e-5), "1e-05"), (Float(1e8), "100000000.0"),
            (Float.greatestFiniteMagnitude, "3.4028235e+38"), (Float(1.5), "1.5"), (-Float(0.0), "-0.0"),
            (Float(3.1415927), "3.1415927"),
        ] as [(Float, String)]
    )
    func floatIsWrittenWithItsOwnShortestDigits(value: Float, expected: String) throws {
        #expect(try jsonText(value) == expected)
    }

    @Test func fastPathAgreesWithTheStandardLibrarysShortestDigits() throws {
        var generator = SystemRandomNumberGenerator()
        for round in 0..<100_000 {
            let value: Double
            switch round % 4 {
            case 0: value = Double(bitPattern: generator.next() & 0x7FEF_FFFF_FFFF_FFFF)
            case 1: value = Double.random(in: 0..<1, using: &generator)
            case 2: value = (Double.random(in: 0..<1_000_000, using: &generator) * 1000).rounded() / 1000
            default: value = Double(Int.random(in: 0..<100_000, using: &generator)) / 100
            }
            var fast: [UInt8] = []
            try JSONWriter.writeDouble(value, into: &fast)
            var reference: [UInt8] = []
            if value == 0 {
                reference = Array("0.0".utf8)
            } else {
                JSONWriter.writePythonStyle(fromSwiftDescription: value.description, into: &reference)
            }
            #expect(fast == reference, "\(value)")
            #expect(Double(String(decoding: fast, as: UTF8.self)) == value)
            if fast != reference { break }
        }
    }

    @Test func nanAndInfinityAreRefusedWithThePath() {
        #expect(throws: JSONError.self) { try LitJSON.encode(Double.nan) }
        do {
            _ = try LitJSON.encode(SquareResponse(output: .nan))
            Issue.record("expected an error")
        } catch {
            #expect(error.description == "Cannot encode nan for \"output\": JSON has no NaN or infinity")
        }
        do {
            _ = try LitJSON.encode(["values": [1.0, -.infinity]])
            Issue.record("expected an error")
        } catch {
            #expect(error.description == "Cannot encode -inf for \"values[1]\": JSON has no NaN or infinity")
        }
    }

    @Test func encodingErrorLeavesTheBufferAsItWas() {
        var buffer = Array("prefix".utf8)
        #expect(throws: JSONError.self) {
            try LitJSON.encode([SquareResponse(output: 1), SquareResponse(output: .nan)], into: &buffer)
        }
        #expect(buffer == Array("prefix".utf8))
        #expect(throws: Never.self) { try LitJSON.encode(SquareResponse(output: 2), into: &buffer) }
        #expect(String(decoding: buffer, as: UTF8.self) == "prefix{\"output\":2.0}")
    }
}

// MARK: - Writer

@Suite struct JSONWriterTests {
    @Test func escapesQuotesBackslashesAndControlCharactersLikePython() throws {
        let text = "a\"b\\c/\n\r\t\u{8}\u{C}\u{0}\u{1}\u{1F}\u{7F}é😀\u{2028}"
        #expect(
            try jsonText(text) == "\"a\\\"b\\\\c/\\n\\r\\t\\b\\f\\u0000\\u0001\\u001f\u{7F}é😀\u{2028}\""
        )
    }

    @Test func escapesKeysToo() throws {
        #expect(try jsonText(["a\"b": 1]) == "{\"a\\\"b\":1}")
    }

    @Test func writesIntegersOfEveryWidth() throws {
        #expect(try jsonText([Int64.min, Int64.max, 0, -1]) == "[-9223372036854775808,9223372036854775807,0,-1]")
        #expect(try jsonText(UInt64.max) == "18446744073709551615")
        #expect(try jsonText(Int8.min) == "-128")
        #expect(try jsonText(UInt8(255)) == "255")
        #expect(try jsonText(Int16(-300)) == "-300")
        #expect(try jsonText(UInt32.max) == "4294967295")
        #expect(try jsonText(Int128.min) == "-170141183460469231731687303715884105728")
        #expect(try jsonText(UInt128.max) == "340282366920938463463374607431768211455")
    }

    @Test func writesBooleansAndNull() throws {
        #expect(try jsonText([true, false]) == "[true,false]")
        #expect(try jsonText([Int?.none, 1]) == "[null,1]")
    }
}

// MARK: - Encoder

private final class JSONAnimal: Codable {
    var name: String
    init(name: String) { self.name = name }
    enum CodingKeys: String, CodingKey { case name }
}

private final class JSONDog: Codable {
    var name: String
    var good: Bool
    init(name: String, good: Bool) {
        self.name = name
        self.good = good
    }
    enum CodingKeys: String, CodingKey { case good }
    func encode(to encoder: any Encoder) throws {
        // Like a subclass: the "superclass" part through the same encoder, then our own keys.
        try JSONAnimal(name: name).encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(good, forKey: .good)
    }
    init(from decoder: any Decoder) throws {
        name = try JSONAnimal(from: decoder).name
        good = try decoder.container(keyedBy: CodingKeys.self).decode(Bool.self, forKey: .good)
    }
}

private struct WithSuperEncoder: Encodable {
    enum CodingKeys: String, CodingKey { case own }
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try JSONAnimal(name: "base").encode(to: container.superEncoder())
        try container.encode(1, forKey: .own)
    }
}

private struct NestedByHandBody: Encodable {
    enum Keys: String, CodingKey { case a, b, c }
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        var inner = container.nestedContainer(keyedBy: Keys.self, forKey: .a)
        try inner.encode(1, forKey: .b)
        var list = inner.nestedUnkeyedContainer(forKey: .c)
        try list.encode("x")
        var deeper = list.nestedContainer(keyedBy: Keys.self)
        try deeper.encodeNil(forKey: .a)
        try list.encode(2)  // closes `deeper`
        try container.encode(true, forKey: .b)  // closes `list` and `inner`
    }
}

private struct InterleavedBody: Encodable {
    enum Keys: String, CodingKey { case a, b }
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        var first = container.nestedUnkeyedContainer(forKey: .a)
        try container.encode(1, forKey: .b)
        try first.encode(2)  // `first` was closed when `b` was written
    }
}

private struct EncodesNothing: Encodable {
    func encode(to encoder: any Encoder) throws {}
}

private struct EmptyBody: Codable, Equatable {}

@Suite struct JSONEncodingTests {
    @Test func writesCompactJSONWithKeysInEncodeOrder() throws {
        #expect(try jsonText(SquareResponse(output: 16.0)) == "{\"output\":16.0}")
        #expect(try jsonText(PointBody(x: 3, y: nil)) == "{\"x\":3}")
        #expect(try jsonText(PointBody(x: 3, y: 0.5)) == "{\"x\":3,\"y\":0.5}")
        #expect(
            try jsonText(sampleOrderBody)
                == "{\"id\":-9007199254740993,\"customer\":\"Zoë \\\"Z\\\" O'Brien\\n\",\"items\":[{\"sku\":\"A-1\","
                + "\"quantity\":65535,\"price\":0.1,\"tags\":[\"new\",\"ünïcödé\",\"😀\"]},{\"sku\":\"B\\\\2\","
                + "\"quantity\":0,\"price\":-3.5e-07,\"tags\":[]}],\"shipped\":true,\"notes\":{\"gift\":\"yes\"},"
                + "\"matrix\":[[1.0,2.5],[],[-0.0,1e+300]],\"bytes\":[0,127,255]}"
        )
    }

    @Test func encodesTopLevelScalarsAndCollections() throws {
        #expect(try jsonText("hi") == "\"hi\"")
        #expect(try jsonText(42) == "42")
        #expect(try jsonText([[1, 2], [3]]) == "[[1,2],[3]]")
        #expect(try jsonText([PointBody(x: 1, y: nil), PointBody(x: 2, y: 2)]) == "[{\"x\":1},{\"x\":2,\"y\":2.0}]")
        #expect(try jsonText(EmptyBody()) == "{}")
        #expect(try jsonText([EmptyBody()]) == "[{}]")
        #expect(try jsonText(Optional<Int>.none) == "null")
    }

    @Test func continuesTheSameObjectWhenAskedForItAgain() throws {
        #expect(try jsonText(JSONDog(name: "Rex", good: true)) == "{\"name\":\"Rex\",\"good\":true}")
        let dog = try litDecode(JSONDog.self, "{\"good\":true,\"name\":\"Rex\"}")
        #expect(dog.name == "Rex" && dog.good)
    }

    @Test func superEncoderWritesUnderSuper() throws {
        #expect(try jsonText(WithSuperEncoder()) == "{\"super\":{\"name\":\"base\"},\"own\":1}")
    }

    @Test func closesNestedContainersInNestingOrder() throws {
        #expect(try jsonText(NestedByHandBody()) == "{\"a\":{\"b\":1,\"c\":[\"x\",{\"a\":null},2]},\"b\":true}")
    }

    @Test func writingToAClosedContainerIsAnError() {
        #expect(throws: JSONError.self) { try LitJSON.encode(InterleavedBody()) }
    }

    @Test func aValueThatEncodesNothingIsAnEmptyObjectButNotAtTheTop() throws {
        #expect(try jsonText(["a": EncodesNothing()]) == "{\"a\":{}}")
        do {
            _ = try LitJSON.encode(EncodesNothing())
            Issue.record("expected an error")
        } catch {
            #expect(error.description.contains("did not encode any value"))
        }
    }

    @Test func agreesWithFoundationOnStructure() throws {
        let ours = try LitJSON.encode(sampleOrderBody)
        let theirs = try JSONEncoder().encode(sampleOrderBody)
        let ourObject = try JSONSerialization.jsonObject(with: Data(ours)) as? NSDictionary
        let theirObject = try JSONSerialization.jsonObject(with: theirs) as? NSDictionary
        #expect(ourObject != nil)
        #expect(ourObject == theirObject)
    }
}

// MARK: - JSONDecodingTests

@Suite struct JSONDecodingTests {
    @Test func roundTripsNestedTypes() throws {
        #expect(try LitJSON.decode(OrderBody.self, from: try LitJSON.encode(sampleOrderBody)) == sampleOrderBody)
        #expect(try litDecode(SquareRequest.self, "{\"input\": 4.0}") == SquareRequest(input: 4))
        #expect(
            try litDecode([PointBody].self, "[{\"x\":1},{\"x\":2,\"y\":null},{\"x\":3,\"y\":1e3}]")
                == [PointBody(x: 1, y: nil), PointBody(x: 2, y: nil), PointBody(x: 3, y: 1000)]
        )
        #expect(try litDecode([String: [Int]].self, "{\"a\":[1,2],\"b\":[]}") == ["a": [1, 2], "b": []])
        #expect(try litDecode(EmptyBody.self, "{\"ignored\":[1,{\"deep\":true}]}") == EmptyBody())
        #expect(try litDecode(Int?.self, "null") == nil)
        #expect(try litDecode([Int?].self, "[1,null]") == [1, nil])
        #expect(try litDecode([Int: String].self, "{\"1\":\"a\",\"-2\":\"b\"}") == [1: "a", -2: "b"])
    }

    @Test func acceptsWhitespaceEverywhereTheRFCAllows() throws {
        let text = " \t\n\r{ \t\n\r\"x\" \t\n\r: \t\n\r7 \t\n\r, \"y\"\n:\n[ 1.5 ] \r\n} \t\n\r"
        #expect(throws: Never.self) { try litDecode(AnyJSONValue.self, text) }
        #expect(try litDecode(PointBody.self, " {\"x\" : 7 , \"y\" : 1.5 } ") == PointBody(x: 7, y: 1.5))
        #expect(try litDecode([Int].self, "[ 1 , 2 ,\n3 ]") == [1, 2, 3])
        #expect(try litDecode([Int].self, "[ ]") == [])
        #expect(try litDecode(EmptyBody.self, "{ }") == EmptyBody())
        #expect(!isValidJSONText("\u{C}1"))  // form feed is not JSON whitespace
        #expect(!isValidJSONText("\u{A0}1"))  // nor is a no-break space
    }

    @Test func decodesEveryEscapeAndSurrogatePairs() throws {
        #expect(try litDecode(String.self, #""\"\\\/\b\f\n\r\t""#) == "\"\\/\u{8}\u{C}\n\r\t")
        #expect(try litDecode(String.self, #""\u00e9\u00E9 \u4e2d \ud83d\ude00 \u0000""#) == "éé 中 😀 \u{0}")
        #expect(try litDecode(String.self, "\"raw é 中 😀\"") == "raw é 中 😀")
        #expect(try litDecode(SquareRequest.self, #"{"\u0069nput": 2}"#) == SquareRequest(input: 2))
    }

    @Test(arguments: [#""\ud800""#, #""\udc00""#, #""\ud800\u0041""#, #""\ud800x""#, #""\ude00\ud83d""#])
    func loneSurrogatesAreRejected(text: String) {
        #expect(litDecodeError(String.self, text)?.contains("unpaired surrogate") == true)
    }

    @Test func aDecoderTellsTheJSONTypeOfItsValue() throws {
        struct Kinds: Decodable {
            var kinds: [JSONNode.Kind]
            init(from decoder: any Decoder) throws {
                var container = try decoder.unkeyedContainer()
                var kinds: [JSONNode.Kind] = []
                while !container.isAtEnd {
                    let element = try container.superDecoder()
                    kinds.append(try #require(element as? LitJSONDecoder).jsonKind)
                }
                self.kinds = kinds
            }
        }
        let kinds = try litDecode(Kinds.self, #"[null, true, false, 1.5, "s", [], {}]"#).kinds
        #expect(kinds == [.null, .true, .false, .number, .string, .array, .object])
    }

    @Test func duplicateKeysTakeTheLastValueAsInPython() throws {
        #expect(try litDecode(SquareRequest.self, "{\"input\":1,\"input\":2}") == SquareRequest(input: 2))
        #expect(try litDecode([String: Int].self, "{\"a\":1,\"b\":2,\"a\":3}") == ["a": 3, "b": 2])
    }

    @Test func largeObjectsAreLookedUpCorrectly() throws {
        let members = (0..<100).map { "\"k\($0)\":\($0)" }.joined(separator: ",")
        let dictionary = try litDecode([String: Int].self, "{\(members),\"k5\":-5}")
        #expect(dictionary.count == 100)
        #expect(dictionary["k5"] == -5 && dictionary["k99"] == 99)
        struct Wide: Decodable {
            var k0, k1, k2, k3, k4, k5, k6, k7, k8, k9, k10, k11, k12, k13, k14, k50, k99: Int
        }
        let wide = try litDecode(Wide.self, "{\(members)}")
        #expect(wide.k0 == 0 && wide.k13 == 13 && wide.k50 == 50 && wide.k99 == 99)
        #expect(
            litDecodeError(Wide.self, "{\(members.replacingOccurrences(of: "\"k50\"", with: "\"x\""))}")
                == "Missing field \"k50\""
        )
    }

    @Test func integersAreRangeCheckedAndWholeFloatsAccepted() throws {
        #expect(try litDecode([Int64].self, "[-9223372036854775808,9223372036854775807]") == [.min, .max])
        #expect(try litDecode(UInt64.self, "18446744073709551615") == .max)
        #expect(try litDecode([Int].self, "[1.0, 1e2, -0, 2.50e1, 0.0]") == [1, 100, 0, 25, 0])
        #expect(try litDecode(Int128.self, "-170141183460469231731687303715884105728") == .min)
        #expect(try litDecode(UInt128.self, "340282366920938463463374607431768211455") == .max)
        #expect(try litDecode(Int8.self, "-128") == -128)
        #expect(
            litDecodeError(Int64.self, "9223372036854775808")
                == "Expected an integer between -9223372036854775808 and 9223372036854775807"
                + " but found 9223372036854775808"
        )
        #expect(litDecodeError(UInt8.self, "-1") == "Expected an integer between 0 and 255 but found -1")
        #expect(litDecodeError(Int.self, "1e300")?.hasPrefix("Expected an integer between") == true)
        #expect(litDecodeError(Int.self, "0.5") == "Expected an integer but found 0.5")
    }

    @Test func numbersAreDecodedExactly() throws {
        let texts = [
            "0.1", "1e-05", "5e-324", "2.2250738585072014e-308", "1.7976931348623157e308", "9007199254740993",
            "0.12345678901234568", "123456789012345678901234567890",
            "1.00000000000000011102230246251565404236316680908203125",
            "4.9406564584124654e-324", "-0.0", "1E+2", "1e-400", "0.000000000000000000000000000001",
        ]
        for text in texts {
            let expected = Double(text)!
            let ours = try litDecode(Double.self, text)
            #expect(ours.bitPattern == expected.bitPattern, "\(text)")
        }
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            let value = Double(bitPattern: generator.next() & 0x7FEF_FFFF_FFFF_FFFF)
            #expect(try LitJSON.decode(Double.self, from: LitJSON.encode(value)) == value)
            let float = Float(bitPattern: UInt32(truncatingIfNeeded: generator.next()) & 0x7F7F_FFFF)
            #expect(try LitJSON.decode(Float.self, from: LitJSON.encode(float)) == float)
            #expect(try litDecode(Float.self, "\(Double(float))") == float)
        }
        #expect(
            litDecodeError(Double.self, "1e400")
                == "Expected a number within the range of a 64-bit float but found 1e400"
        )
        #expect(
            litDecodeError(Float.self, "1e39") == "Expected a number within the range of a 32-bit float but found 1e39"
        )
    }
}

// MARK: - Errors

private struct ItemsBody: Decodable {
    struct Item: Decodable { var x: Int }
    var items: [Item]
}

private struct PositiveInput: Decodable {
    var input: Double
    enum CodingKeys: String, CodingKey { case input }
    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        input = try container.decode(Double.self, forKey: .input)
        guard input > 0 else {
            throw DecodingError.dataCorruptedError(
                forKey: .input,
                in: container,
                debugDescription: "must be positive"
            )
        }
    }
}

private struct IntPair: Decodable {
    var first: Int
    var second: Int
    init(from decoder: any Decoder) throws {
        var container = try decoder.unkeyedContainer()
        first = try container.decode(Int.self)
        second = try container.decode(Int.self)
    }
}

private struct NestedArrays: Decodable {
    var depth: Int
    init(from decoder: any Decoder) throws {
        var container = try decoder.unkeyedContainer()
        depth = container.isAtEnd ? 1 : try container.decode(NestedArrays.self).depth + 1
    }
}

@Suite struct JSONDecodingErrorTests {
    @Test func missingKeyNamesTheField() {
        #expect(litDecodeError(SquareRequest.self, "{}") == "Missing field \"input\"")
        #expect(
            litDecodeError(ItemsBody.self, #"{"items":[{"x":1},{"x":2},{"y":3}]}"#) == "Missing field \"items[2].x\""
        )
    }

    @Test func wrongTypeSaysWhatWasExpectedAndFound() {
        #expect(
            litDecodeError(SquareRequest.self, #"{"input":"4"}"#)
                == "Expected a number for \"input\" but found a string"
        )
        #expect(
            litDecodeError(SquareRequest.self, #"{"input":[4]}"#)
                == "Expected a number for \"input\" but found an array"
        )
        #expect(litDecodeError(SquareRequest.self, "[4]") == "Expected an object but found an array")
        #expect(
            litDecodeError(ItemsBody.self, #"{"items":[{"x":true}]}"#)
                == "Expected an integer for \"items[0].x\" but found a boolean"
        )
        #expect(
            litDecodeError(ItemsBody.self, #"{"items":{}}"#) == "Expected an array for \"items\" but found an object"
        )
        #expect(litDecodeError([Double].self, #"[1,"x"]"#) == "Expected a number for \"[1]\" but found a string")
        #expect(
            litDecodeError([String: [Double]].self, #"{"v":[1,{}]}"#)
                == "Expected a number for \"v[1]\" but found an object"
        )
        #expect(litDecodeError(Bool.self, "1") == "Expected a boolean but found a number")
        #expect(litDecodeError(String.self, "{}") == "Expected a string but found an object")
    }

    @Test func nullForANonOptionalIsReported() {
        #expect(
            litDecodeError(SquareRequest.self, #"{"input":null}"#) == "Expected a number for \"input\" but found null"
        )
        #expect(litDecodeError(ItemsBody.self, #"{"items":null}"#) == "Expected an array for \"items\" but found null")
    }

    @Test func integerOverflowGivesTheRange() {
        #expect(
            litDecodeError(LevelBody.self, #"{"level":300}"#)
                == "Expected an integer between -128 and 127 for \"level\" but found 300"
        )
        #expect(litDecodeError(LevelBody.self, #"{"level":1.5}"#) == "Expected an integer for \"level\" but found 1.5")
    }

    @Test func errorsThrownByUserCodeAreDescribed() {
        #expect(litDecodeError(PositiveInput.self, #"{"input":-1}"#) == "Invalid value for \"input\": must be positive")
        #expect(
            litDecodeError(IntPair.self, "[1]")
                == "Expected another element at \"[1]\" but the array has only 1 element"
        )
    }

    @Test(
        arguments: [
            ("", "Invalid JSON at byte 0: unexpected end of input"),
            ("   ", "Invalid JSON at byte 3: unexpected end of input"),
            (#"{"input":}"#, "Invalid JSON at byte 9: unexpected character '}'"),
            (#"{"input":1,}"#, "Invalid JSON at byte 11: unexpected character '}'"),
            ("[1,]", "Invalid JSON at byte 3: unexpected character ']'"),
            ("[1 2]", "Invalid JSON at byte 3: unexpected character '2'"),
            (#"{"input" 1}"#, "Invalid JSON at byte 9: unexpected character '1'"),
            ("{input:1}", "Invalid JSON at byte 1: unexpected character 'i'"),
            ("{'input':1}", "Invalid JSON at byte 1: unexpected character ''' (strings must use double quotes)"),
            (#"{"input":1} x"#, "Invalid JSON at byte 12: unexpected character 'x' after the top-level value"),
            (#"{"input":1}}"#, "Invalid JSON at byte 11: unexpected character '}' after the top-level value"),
            ("[1] // comment", "Invalid JSON at byte 4: unexpected character '/' after the top-level value"),
            ("/* c */ 1", "Invalid JSON at byte 0: unexpected character '/'"),
            ("[01]", "Invalid JSON at byte 1: leading zeros are not allowed in numbers"),
            ("[-01]", "Invalid JSON at byte 1: leading zeros are not allowed in numbers"),
            ("[1.]", "Invalid JSON at byte 3: expected a digit after the decimal point"),
            ("[.5]", "Invalid JSON at byte 1: unexpected character '.'"),
            ("[1e]", "Invalid JSON at byte 3: expected a digit in the exponent"),
            ("[+1]", "Invalid JSON at byte 1: unexpected character '+'"),
            ("[-]", "Invalid JSON at byte 2: expected a digit after '-'"),
            ("[NaN]", "Invalid JSON at byte 1: unexpected character 'N'"),
            ("[Infinity]", "Invalid JSON at byte 1: unexpected character 'I'"),
            ("[tru]", "Invalid JSON at byte 1: invalid literal (expected 'true')"),
            ("nul", "Invalid JSON at byte 3: unexpected end of input"),
            (#"["abc"#, "Invalid JSON at byte 5: unexpected end of input (unterminated string)"),
            ("[\"a\u{1}\"]", "Invalid JSON at byte 3: unescaped control character in string"),
            ("[\"a\tb\"]", "Invalid JSON at byte 3: unescaped control character in string"),
            (#"["\x"]"#, "Invalid JSON at byte 2: invalid escape sequence in string"),
            (#"["\u12"]"#, "Invalid JSON at byte 2: invalid \\u escape (expected four hex digits)"),
            (#"{"a":1"#, "Invalid JSON at byte 6: unexpected end of input"),
            ("\u{FEFF}1", "Invalid JSON at byte 0: unexpected byte 0xEF"),
            ("[1]\u{0}", "Invalid JSON at byte 3: unexpected byte 0x00 after the top-level value"),
        ] as [(String, String)]
    )
    func syntaxErrorsGiveTheByteOffset(text: String, message: String) {
        #expect(litDecodeError(AnyJSONValue.self, text) == message)
    }

    @Test(
        arguments: [
            ([0xFF], 2), ([0xC0, 0x80], 2), ([0xC1, 0xBF], 2), ([0xE0, 0x80, 0x80], 2), ([0xED, 0xA0, 0x80], 2),
            ([0xF4, 0x90, 0x80, 0x80], 2), ([0xF5, 0x80, 0x80, 0x80], 2), ([0x61, 0xC3], 3), ([0x61, 0x80], 3),
            ([0xE2, 0x82], 2), ([0xF0, 0x9F, 0x98], 2),
        ] as [([UInt8], Int)]
    )
    func invalidUTF8InStringsIsRejected(bytes: [UInt8], offset: Int) {
        let document = Array("[\"".utf8) + bytes + Array("\"]".utf8)
        #expect(
            litDecodeError(AnyJSONValue.self, document) == "Invalid JSON at byte \(offset): invalid UTF-8 in string"
        )
    }

    @Test func validUTF8OfEveryLengthIsAccepted() throws {
        let text = "a\u{7F}\u{80}\u{7FF}\u{800}\u{D7FF}\u{E000}\u{FFFF}\u{10000}\u{10FFFF}é中😀"
        #expect(try litDecode(String.self, "\"\(text)\"") == text)
        let long = String(repeating: "abcdefgh中", count: 100)
        #expect(try litDecode(String.self, "\"\(long)\"") == long)
    }

    @Test func nestingIsLimitedTo512Levels() throws {
        let ok = String(repeating: "[", count: 512) + String(repeating: "]", count: 512)
        #expect(try litDecode(NestedArrays.self, ok).depth == 512)
        let tooDeep = String(repeating: "[", count: 513) + String(repeating: "]", count: 513)
        #expect(
            litDecodeError(NestedArrays.self, tooDeep) == "Invalid JSON at byte 512: nesting deeper than 512 levels"
        )
        let objects = String(repeating: "{\"a\":", count: 513) + "1" + String(repeating: "}", count: 513)
        #expect(
            litDecodeError(AnyJSONValue.self, objects) == "Invalid JSON at byte 2560: nesting deeper than 512 levels"
        )
    }

    @Test func describesFoundationsDecodingErrorsToo() {
        func foundationError<T: Decodable>(_ type: T.Type, _ text: String) -> String? {
            do {
                _ = try JSONDecoder().decode(T.self, from: Data(text.utf8))
                return nil
            } catch {
                return JSONError.describe(error)
            }
        }
        #expect(foundationError(SquareRequest.self, "{}") == "Missing field \"input\"")
        #expect(
            foundationError(SquareRequest.self, #"{"input":"4"}"#)
                == "Expected a number for \"input\" but found a string"
        )
        #expect(
            foundationError(SquareRequest.self, #"{"input":null}"#) == "Expected a number for \"input\" but found null"
        )
        #expect(foundationError(ItemsBody.self, #"{"items":[{"x":1},{}]}"#) == "Missing field \"items[1].x\"")
        #expect(foundationError(SquareRequest.self, "{")?.hasPrefix("Invalid JSON: ") == true)
        #expect(
            JSONError.wrapping(
                DecodingError.keyNotFound(JSONStringKey(stringValue: "a"), .init(codingPath: [], debugDescription: ""))
            ).description == "Missing field \"a\""
        )
    }
}

// MARK: - Agreement with Foundation

private struct AllTypesBody: Codable, Equatable {
    var b: Bool?
    var s: String?
    var d: Double?
    var f: Float?
    var i: Int?
    var i8: Int8?
    var i16: Int16?
    var i32: Int32?
    var i64: Int64?
    var u: UInt?
    var u8: UInt8?
    var u16: UInt16?
    var u32: UInt32?
    var u64: UInt64?
    var list: [AllTypesBody]?
    var map: [String: AllTypesBody]?
    var matrix: [[Double]]?
    var bytes: [UInt8]?
    var flags: [Bool?]?
}

@Suite struct JSONFoundationAgreementTests {
    static let corpus: [String] = [
        "{}",
        #"{"b":true,"s":"x","d":1.5,"f":2.5,"i":-1,"i8":-128,"i16":32767,"i32":-2147483648,"i64":9223372036854775807}"#,
        #"{"u":0,"u8":255,"u16":65535,"u32":4294967295,"u64":18446744073709551615}"#,
        #"{"d":0.1}"#, #"{"d":1e-05}"#, #"{"d":5e-324}"#, #"{"d":1.7976931348623157e308}"#, #"{"d":-0.0}"#,
        #"{"d":123456789012345678901234567890}"#, #"{"d":0.30000000000000004}"#, #"{"d":1E+2}"#, #"{"d":3}"#,
        #"{"f":0.1}"#, #"{"f":3.4028234663852886e38}"#, #"{"f":1e-45}"#, #"{"f":16777217}"#,
        #"{"s":"\u00e9\ud83d\ude00\n\t\"\\\/"}"#, #"{"s":"中文 ünïcödé 😀"}"#, #"{"s":""}"#,
        #"{"list":[{},{"i":1},{"list":[{"s":"deep"}]}]}"#,
        #"{"map":{"a":{"i":1},"b":{"map":{"c":{}}}}}"#,
        #"{"matrix":[[1,2.5],[],[-1e10,0.000123]]}"#,
        #"{"bytes":[0,1,127,128,255]}"#,
        #"{"flags":[true,null,false]}"#,
        #"{"b":null,"s":null,"list":null}"#,
        " \n{ \"i\" : 42 , \"s\" : \"spaced\" }\n ",
        #"{"unknown":[1,{"x":null}],"i":7}"#,
        #"{"i":1.0}"#,
        #"{"i64":-9007199254740993,"u64":9007199254740993}"#,
        #"{"s":"\u0000\u001f\u007f"}"#,
        #"{"d":2.2250738585072011e-308}"#,
    ]

    @Test(arguments: corpus)
    func decodesTheSameValuesAsFoundation(text: String) throws {
        let theirs = try JSONDecoder().decode(AllTypesBody.self, from: Data(text.utf8))
        let ours = try litDecode(AllTypesBody.self, text)
        #expect(ours == theirs)
        // And what we write reads back the same in both.
        let written = try LitJSON.encode(ours)
        #expect(try JSONDecoder().decode(AllTypesBody.self, from: Data(written)) == ours)
    }

    @Test func rejectsWhatFoundationRejectsForTheSameReasons() {
        for text in [#"{"i8":128}"#, #"{"u8":-1}"#, #"{"i":"1"}"#, #"{"b":1}"#, #"{"list":{}}"#, "[]"] {
            #expect((try? JSONDecoder().decode(AllTypesBody.self, from: Data(text.utf8))) == nil, "\(text)")
            #expect(litDecodeError(AllTypesBody.self, text) != nil, "\(text)")
        }
    }
}
