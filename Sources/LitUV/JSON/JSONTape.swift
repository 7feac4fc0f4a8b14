// The tape a parsed document is recorded on: one 16-byte `JSONNode` per value, in document order, pointing
// into the input bytes (no strings or numbers are converted when parsing).

/// Stack space for the first `JSONParser.stackCapacity` tape nodes (512 bytes).
struct JSONScratch {
    /// The space.
    var storage = (SIMD32<UInt64>(), SIMD32<UInt64>())
}

/// One value of a parsed document.
///
/// Nodes are stored in document order: an object's node is followed by its members (key node, then the
/// value's nodes), an array's by its elements. `next` is the tape index just past the value's last node,
/// so a value can be skipped in one step.
package struct JSONNode {
    /// What kind of JSON value a node is.
    package enum Kind: UInt8 {
        /// `null`.
        case null
        /// `false`.
        case `false`
        /// `true`.
        case `true`
        /// A number (its text is converted when decoded).
        case number
        /// A string (its text is unescaped when decoded).
        case string
        /// An array; its elements follow on the tape.
        case array
        /// An object; its members (key node, then value) follow on the tape.
        case object
    }

    /// The kind of value.
    var kind: Kind
    /// For strings: whether the raw text contains a backslash escape. For numbers: whether it is written as an
    /// integer (no fraction, no exponent).
    var flag: Bool
    /// Byte offset of the value's text: the first byte after the opening quote for strings.
    var start: UInt32
    /// Strings: raw byte length between the quotes. Numbers: text length. Arrays and objects: element count.
    var length: UInt32
    /// The tape index just past this value.
    var next: UInt32

    /// The JSON type as a client would name it, for error messages.
    var noun: String { kind.noun }
}

extension JSONNode.Kind {
    /// The JSON type as a client would name it, for error messages.
    var noun: String {
        switch self {
        case .null: return "null"
        case .false, .true: return "a boolean"
        case .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }

    /// A constant debug description for a type mismatch with this kind of value.
    var mismatchDescription: String {
        switch self {
        case .null: return "Expected another type but found null instead."
        case .false, .true: return "Expected another type but found a boolean instead."
        case .number: return "Expected another type but found a number instead."
        case .string: return "Expected another type but found a string instead."
        case .array: return "Expected another type but found an array instead."
        case .object: return "Expected another type but found an object instead."
        }
    }
}

/// A parsed document: the borrowed input and its tape.
struct JSONTape {
    /// The document's bytes.
    let bytes: UnsafePointer<UInt8>
    /// The nodes; the last one is a synthetic null.
    let nodes: UnsafeMutablePointer<JSONNode>
    /// The number of nodes.
    let count: Int
    /// Whether `nodes` is heap memory to free.
    let ownsNodes: Bool

    /// Frees the nodes if the parser allocated them.
    func deallocate() {
        if ownsNodes {
            nodes.deallocate()
        }
    }
}
