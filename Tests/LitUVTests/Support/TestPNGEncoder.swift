import CZlib

/// A small PNG writer for the decoder tests: every color type and bit depth, an optional palette and `tRNS` chunk,
/// Adam7 interlacing, filter type 0, zlib through CZlib. Samples are given unpacked, one `Int` per channel per pixel
/// (palette indices for color type 3), rows top to bottom.
struct TestPNGEncoder {
    /// 0 gray, 2 RGB, 3 palette, 4 gray + alpha, 6 RGBA.
    var colorType: UInt8
    /// 1, 2, 4, 8 or 16 (as the color type allows).
    var bitDepth: UInt8
    var width: Int
    var height: Int
    var samples: [Int]
    var interlaced = false
    /// PLTE entries (color type 3).
    var palette: [(UInt8, UInt8, UInt8)] = []
    /// The raw `tRNS` chunk data, when there is one.
    var transparency: [UInt8]? = nil

    var channels: Int {
        switch colorType {
        case 2: 3
        case 4: 2
        case 6: 4
        default: 1
        }
    }

    /// The whole file.
    func encode() -> [UInt8] {
        var file: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        var header: [UInt8] = []
        TestPNGEncoder.appendBigEndian(UInt32(width), to: &header)
        TestPNGEncoder.appendBigEndian(UInt32(height), to: &header)
        header += [bitDepth, colorType, 0, 0, interlaced ? 1 : 0]
        TestPNGEncoder.appendChunk("IHDR", header, to: &file)
        if !palette.isEmpty {
            TestPNGEncoder.appendChunk("PLTE", palette.flatMap { [$0.0, $0.1, $0.2] }, to: &file)
        }
        if let transparency {
            TestPNGEncoder.appendChunk("tRNS", transparency, to: &file)
        }
        TestPNGEncoder.appendChunk("IDAT", TestPNGEncoder.compress(scanlines()), to: &file)
        TestPNGEncoder.appendChunk("IEND", [], to: &file)
        return file
    }

    /// The filtered (type 0) scanlines of every pass, uncompressed.
    func scanlines() -> [UInt8] {
        let passes: [(x: Int, y: Int, dx: Int, dy: Int)] =
            interlaced
            ? [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
            : [(0, 0, 1, 1)]
        var out: [UInt8] = []
        for pass in passes {
            let columns = Array(stride(from: pass.x, to: width, by: pass.dx))
            let rows = Array(stride(from: pass.y, to: height, by: pass.dy))
            if columns.isEmpty || rows.isEmpty { continue }
            for row in rows {
                out.append(0)
                var values: [Int] = []
                for column in columns {
                    let start = (row * width + column) * channels
                    values += samples[start..<start + channels]
                }
                out += pack(values)
            }
        }
        return out
    }

    /// Packs one row's samples at the bit depth, most significant bits first, padded to a byte.
    func pack(_ values: [Int]) -> [UInt8] {
        switch bitDepth {
        case 16:
            return values.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
        case 8:
            return values.map { UInt8($0) }
        default:
            let depth = Int(bitDepth)
            var bytes: [UInt8] = []
            var current = 0
            var used = 0
            for value in values {
                current = current << depth | value
                used += depth
                if used == 8 {
                    bytes.append(UInt8(current))
                    current = 0
                    used = 0
                }
            }
            if used > 0 { bytes.append(UInt8(current << (8 - used))) }
            return bytes
        }
    }

    static func appendChunk(_ type: String, _ data: [UInt8], to file: inout [UInt8]) {
        appendBigEndian(UInt32(data.count), to: &file)
        let typed = Array(type.utf8) + data
        file += typed
        let crc = typed.withUnsafeBufferPointer { crc32(0, $0.baseAddress, uInt($0.count)) }
        appendBigEndian(UInt32(crc), to: &file)
    }

    static func appendBigEndian(_ value: UInt32, to bytes: inout [UInt8]) {
        bytes += [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
    }

    static func compress(_ bytes: [UInt8]) -> [UInt8] {
        var length = compressBound(uLong(bytes.count))
        var out = [UInt8](repeating: 0, count: Int(length))
        let status = out.withUnsafeMutableBufferPointer { destination in
            bytes.withUnsafeBufferPointer { source in
                compress2(destination.baseAddress, &length, source.baseAddress, uLong(source.count), 6)
            }
        }
        precondition(status == Z_OK, "compress2 failed: \(status)")
        return Array(out.prefix(Int(length)))
    }
}
