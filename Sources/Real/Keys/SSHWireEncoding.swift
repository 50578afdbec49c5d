/// The SSH wire encoding (RFC 4251 §5): `uint32` big-endian, `string` as a uint32 length then the bytes.
struct SSHWireEncoding {
    private(set) var bytes: [UInt8] = []

    mutating func uint32(_ value: UInt32) {
        bytes += [UInt8(value >> 24), UInt8(truncatingIfNeeded: value >> 16), UInt8(truncatingIfNeeded: value >> 8),
                  UInt8(truncatingIfNeeded: value)]
    }

    mutating func string<Bytes: Collection>(_ value: Bytes) where Bytes.Element == UInt8 {
        uint32(UInt32(value.count))
        bytes += value
    }

    mutating func string(_ text: String) { string(Array(text.utf8)) }

    mutating func raw<Bytes: Collection>(_ value: Bytes) where Bytes.Element == UInt8 { bytes += value }

    /// Overwrites the bytes before letting them go (the private section of a key).
    mutating func wipe() {
        for index in bytes.indices { bytes[index] = 0 }
        bytes.removeAll()
    }
}
