import COpenSSL

/// An incremental SHA-256 of a simulation trace, used to check that two runs
/// are identical bit for bit.
///
/// The digest covers exactly the bytes fed in, with no framing: `update("ab")`
/// then `update("c")` equals `update("abc")`. Callers that need unambiguous
/// records add their own separators or length prefixes. Numbers are fed as
/// fixed-width little-endian bytes so the digest is the same on every platform.
///
/// Small updates are gathered in a 4 KiB buffer and handed to OpenSSL in
/// bulk, because a call into EVP per 8-byte value costs more than hashing it.
/// Not thread-safe: one trace, one writer.
public final class TraceDigest {
    public static let bufferCapacityBytes = 4096

    private let context: OpaquePointer
    private let buffer: UnsafeMutableRawPointer
    private var bufferedBytes = 0
    private var finalHex: String?

    public init() {
        guard let context = EVP_MD_CTX_new() else {
            fatalError("EVP_MD_CTX_new failed: out of memory")
        }
        guard EVP_DigestInit_ex(context, EVP_sha256(), nil) == 1 else {
            EVP_MD_CTX_free(context)
            fatalError("EVP_DigestInit_ex(SHA-256) failed; is libcrypto usable?")
        }
        self.context = context
        self.buffer = UnsafeMutableRawPointer.allocate(
            byteCount: TraceDigest.bufferCapacityBytes, alignment: 16)
    }

    deinit {
        EVP_MD_CTX_free(context)
        buffer.deallocate()
    }

    /// True once `finalize()` has been called; no more updates are accepted.
    public var isFinalized: Bool { finalHex != nil }

    public func update(_ bytes: UnsafeRawBufferPointer) {
        precondition(finalHex == nil, "TraceDigest updated after finalize()")
        guard let source = bytes.baseAddress, bytes.count > 0 else { return }
        var offset = 0
        var remaining = bytes.count
        // Top up a partly filled buffer first so bytes reach EVP in order.
        if bufferedBytes > 0 {
            let take = Swift.min(remaining, TraceDigest.bufferCapacityBytes - bufferedBytes)
            (buffer + bufferedBytes).copyMemory(from: source, byteCount: take)
            bufferedBytes += take
            offset += take
            remaining -= take
            if bufferedBytes == TraceDigest.bufferCapacityBytes {
                flush()
            }
        }
        // Large inputs skip the buffer: copying them would only add work.
        if remaining >= TraceDigest.bufferCapacityBytes {
            hash(source + offset, count: remaining)
            return
        }
        if remaining > 0 {
            buffer.copyMemory(from: source + offset, byteCount: remaining)
            bufferedBytes = remaining
        }
    }

    public func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// Feeds the UTF-8 bytes of `string`, without a terminator or length.
    public func update(_ string: String) {
        let handled: Void? = string.utf8.withContiguousStorageIfAvailable { update(UnsafeRawBufferPointer($0)) }
        if handled == nil {
            // Bridged or lazily decoded strings have no contiguous UTF-8.
            var copy = string
            copy.withUTF8 { update(UnsafeRawBufferPointer($0)) }
        }
    }

    /// Feeds the 8 little-endian bytes of `value`.
    @inline(__always)
    public func update(_ value: UInt64) {
        precondition(finalHex == nil, "TraceDigest updated after finalize()")
        if bufferedBytes > TraceDigest.bufferCapacityBytes - 8 {
            flush()
        }
        buffer.storeBytes(of: value.littleEndian, toByteOffset: bufferedBytes, as: UInt64.self)
        bufferedBytes += 8
    }

    /// Feeds the 8 little-endian bytes of `value`'s two's complement form.
    @inline(__always)
    public func update(_ value: Int64) {
        update(UInt64(bitPattern: value))
    }

    /// Feeds `value` as 8 little-endian bytes (as `Int64`), whatever the
    /// platform's word size, so digests agree across platforms.
    @inline(__always)
    public func update(_ value: Int) {
        update(UInt64(bitPattern: Int64(value)))
    }

    /// Feeds the 8 little-endian bytes of `value.bitPattern`: the digest
    /// distinguishes 0.0 from -0.0 and is exact for every value.
    @inline(__always)
    public func update(_ value: Double) {
        update(value.bitPattern)
    }

    /// Returns the digest as 64 lowercase hex digits. Calling it again
    /// returns the same string; updating afterwards is a programmer error.
    public func finalize() -> String {
        if let finalHex { return finalHex }
        flush()
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let status = digest.withUnsafeMutableBufferPointer {
            EVP_DigestFinal_ex(context, $0.baseAddress, &length)
        }
        precondition(status == 1 && length == 32, "EVP_DigestFinal_ex failed for SHA-256")
        let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)
        var hex = [UInt8]()
        hex.reserveCapacity(64)
        for byte in digest.prefix(32) {
            hex.append(hexDigits[Int(byte >> 4)])
            hex.append(hexDigits[Int(byte & 0x0F)])
        }
        let result = String(decoding: hex, as: UTF8.self)
        finalHex = result
        return result
    }

    private func flush() {
        guard bufferedBytes > 0 else { return }
        hash(buffer, count: bufferedBytes)
        bufferedBytes = 0
    }

    private func hash(_ pointer: UnsafeRawPointer, count: Int) {
        let status = EVP_DigestUpdate(context, pointer, count)
        precondition(status == 1, "EVP_DigestUpdate failed")
    }
}
