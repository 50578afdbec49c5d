/// Standard base64 (RFC 4648, with padding), written into a buffer the caller controls so that encoded secrets
/// can be wiped.
enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func encodedCount(_ byteCount: Int) -> Int { (byteCount + 2) / 3 * 4 }

    /// Encodes `input` into `output`, which holds at least `encodedCount(input.count)` bytes.
    static func encode(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) {
        precondition(output.count >= encodedCount(input.count))
        var out = 0
        var index = 0
        while index < input.count {
            let remaining = input.count - index
            let b0 = UInt32(input[index])
            let b1 = remaining > 1 ? UInt32(input[index + 1]) : 0
            let b2 = remaining > 2 ? UInt32(input[index + 2]) : 0
            let triple = b0 << 16 | b1 << 8 | b2
            output[out] = alphabet[Int(triple >> 18 & 63)]
            output[out + 1] = alphabet[Int(triple >> 12 & 63)]
            output[out + 2] = remaining > 1 ? alphabet[Int(triple >> 6 & 63)] : UInt8(ascii: "=")
            output[out + 3] = remaining > 2 ? alphabet[Int(triple & 63)] : UInt8(ascii: "=")
            out += 4
            index += 3
        }
    }

    static func encode(_ bytes: [UInt8]) -> String {
        var output = [UInt8](repeating: 0, count: encodedCount(bytes.count))
        bytes.withUnsafeBytes { input in output.withUnsafeMutableBytes { encode(input, into: $0) } }
        return String(decoding: output, as: UTF8.self)
    }
}
