/// Reads fields front to back; every read is bounds-checked and returns nil past the end.
struct HeaderByteReader {
    private let bytes: [UInt8]
    private(set) var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    mutating func take(_ count: Int) -> ArraySlice<UInt8>? {
        guard count >= 0, bytes.count - offset >= count else { return nil }
        defer { offset += count }
        return bytes[offset..<offset + count]
    }

    mutating func bigEndian(_ byteCount: Int) -> UInt64? {
        guard byteCount <= 8, let field = take(byteCount) else { return nil }
        return field.reduce(0) { $0 << 8 | UInt64($1) }
    }
}
