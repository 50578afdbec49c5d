import COpenSSL
import Foundation

/// Bytes that must not outlive their use: a key, a passphrase or a decrypted configuration. They live in one
/// buffer of their own (never copied by Swift's copy-on-write), are wiped when the last reference goes, and
/// print as their length only, so a secret cannot reach a log or an error through string interpolation.
///
/// `@unchecked Sendable`: the buffer is written only in `init` and wiped only in `deinit`.
public final class SecretBytes: @unchecked Sendable, CustomStringConvertible {
    private let buffer: UnsafeMutableRawBufferPointer

    public init(count: Int) {
        buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(count, 0), alignment: 16)
        buffer.initializeMemory(as: UInt8.self, repeating: 0)
    }

    /// Copies `bytes`; the caller wipes its own copy if it has one.
    public convenience init<Bytes: Collection>(copying bytes: Bytes) where Bytes.Element == UInt8 {
        self.init(count: bytes.count)
        _ = buffer.initializeMemory(as: UInt8.self, from: bytes)
    }

    /// Fills a buffer of `count` bytes through `fill` (e.g. a KDF or a decryption writing straight into it).
    public convenience init(count: Int, fill: (UnsafeMutableRawBufferPointer) throws -> Void) rethrows {
        self.init(count: count)
        try fill(buffer)
    }

    deinit {
        Self.wipe(buffer)
        buffer.deallocate()
    }

    public var count: Int { buffer.count }

    public func withUnsafeBytes<Result, Failure: Error>(_ body: (UnsafeRawBufferPointer) throws(Failure) -> Result)
        throws(Failure) -> Result
    {
        try body(UnsafeRawBufferPointer(buffer))
    }

    /// Equal contents, compared in time independent of where they differ.
    public func constantTimeEquals(_ other: SecretBytes) -> Bool {
        guard count == other.count else { return false }
        var difference: UInt8 = 0
        for index in 0..<count { difference |= buffer[index] ^ other.buffer[index] }
        return difference == 0
    }

    public var description: String { "<\(count) secret bytes>" }

    /// Zeroes memory in a way the optimiser may not drop (OpenSSL's own wipe).
    static func wipe(_ buffer: UnsafeMutableRawBufferPointer) {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        OPENSSL_cleanse(base, buffer.count)
    }
}
