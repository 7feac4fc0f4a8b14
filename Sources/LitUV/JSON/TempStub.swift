import Foundation
struct JSONError: Error, CustomStringConvertible { var description: String }
enum LitJSON {
    static func encode<T: Encodable>(_ value: T) throws(JSONError) -> [UInt8] {
        do { return Array(try JSONEncoder().encode(value)) } catch { throw JSONError(description: "\(error)") }
    }
    static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws(JSONError) -> T {
        do { return try JSONDecoder().decode(T.self, from: Data(bytes)) } catch { throw JSONError(description: "\(error)") }
    }
}
