import COpenSSL
import Dispatch
import Foundation

/// An incremental SHA-256 of a simulation trace, used to check that two runs
/// are identical bit for bit.
///
/// The digest covers exactly the bytes fed in, with no framing: `update("ab")`
/// then `update("c")` equals `update("abc")`. Callers that need unambiguous
/// records add their own separators or length prefixes. Numbers are fed as
/// fixed-width little-endian bytes so the digest is the same on every platform.
///
/// Small updates are gathered in 512 KiB blocks and handed to OpenSSL in bulk,
/// because a call into EVP per 8-byte value costs more than hashing it. Once a
/// trace passes `defaultInlineLimitBytes`, full blocks are hashed on a second thread
/// (hashing a long run's trace costs about a tenth of its event loop); blocks
/// reach EVP in the order they were filled, so the digest does not depend on
/// thread timing. Not thread-safe: one trace, one writer.
public final class TraceDigest {
    public static let blockBytes = 512 * 1024
    /// Traces shorter than this are hashed on the caller's thread: a thread would
    /// cost more than it saves.
    public static let defaultInlineLimitBytes = 1 << 20
    /// Blocks in flight between the writer and the hashing thread.
    static let blockCount = 4

    private let context: OpaquePointer
    private let blocks: UnsafeMutableRawPointer
    private var blockLengths: UnsafeMutablePointer<Int>
    /// The block being filled, and how many bytes it holds.
    private var current = 0
    private var bufferedBytes = 0
    private var hashedInlineBytes = 0
    private let inlineLimitBytes: Int
    private var worker: HashWorker?
    private var finalHex: String?

    /// `inlineLimitBytes`: how much is hashed on the caller's thread before the worker starts.
    public init(inlineLimitBytes: Int = TraceDigest.defaultInlineLimitBytes) {
        self.inlineLimitBytes = inlineLimitBytes
        guard let context = EVP_MD_CTX_new() else {
            fatalError("EVP_MD_CTX_new failed: out of memory")
        }
        guard EVP_DigestInit_ex(context, EVP_sha256(), nil) == 1 else {
            EVP_MD_CTX_free(context)
            fatalError("EVP_DigestInit_ex(SHA-256) failed; is libcrypto usable?")
        }
        self.context = context
        blocks = UnsafeMutableRawPointer.allocate(byteCount: TraceDigest.blockBytes * TraceDigest.blockCount,
                                                  alignment: 64)
        blockLengths = UnsafeMutablePointer<Int>.allocate(capacity: TraceDigest.blockCount)
        blockLengths.initialize(repeating: 0, count: TraceDigest.blockCount)
    }

    deinit {
        worker?.stop(writerBlock: current)
        EVP_MD_CTX_free(context)
        blocks.deallocate()
        blockLengths.deallocate()
    }

    /// True once `finalize()` has been called; no more updates are accepted.
    public var isFinalized: Bool { finalHex != nil }

    private var block: UnsafeMutableRawPointer { blocks + current * TraceDigest.blockBytes }

    public func update(_ bytes: UnsafeRawBufferPointer) {
        precondition(finalHex == nil, "TraceDigest updated after finalize()")
        guard let source = bytes.baseAddress, bytes.count > 0 else { return }
        var offset = 0
        while offset < bytes.count {
            let take = Swift.min(bytes.count - offset, TraceDigest.blockBytes - bufferedBytes)
            (block + bufferedBytes).copyMemory(from: source + offset, byteCount: take)
            bufferedBytes += take
            offset += take
            if bufferedBytes == TraceDigest.blockBytes { flush() }
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
        if bufferedBytes > TraceDigest.blockBytes - 8 {
            flush()
        }
        block.storeBytes(of: value.littleEndian, toByteOffset: bufferedBytes, as: UInt64.self)
        bufferedBytes += 8
    }

    /// Feeds four values as 32 little-endian bytes: one trace record, one capacity check.
    @inline(__always)
    public func update(_ w0: UInt64, _ w1: UInt64, _ w2: UInt64, _ w3: UInt64) {
        precondition(finalHex == nil, "TraceDigest updated after finalize()")
        if bufferedBytes > TraceDigest.blockBytes - 32 {
            flush()
        }
        let record = block + bufferedBytes
        record.storeBytes(of: w0.littleEndian, toByteOffset: 0, as: UInt64.self)
        record.storeBytes(of: w1.littleEndian, toByteOffset: 8, as: UInt64.self)
        record.storeBytes(of: w2.littleEndian, toByteOffset: 16, as: UInt64.self)
        record.storeBytes(of: w3.littleEndian, toByteOffset: 24, as: UInt64.self)
        bufferedBytes += 32
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
        worker?.stop(writerBlock: current)
        worker = nil
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

    /// Hands the current block to EVP: here while the trace is short, then to the worker.
    @inline(never)
    private func flush() {
        guard bufferedBytes > 0 else { return }
        if worker == nil, hashedInlineBytes < inlineLimitBytes {
            hashedInlineBytes += bufferedBytes
            TraceDigest.hash(context, block, count: bufferedBytes)
            bufferedBytes = 0
            return
        }
        if worker == nil {
            worker = HashWorker(context: context, blocks: blocks, lengths: blockLengths, first: current)
        }
        blockLengths[current] = bufferedBytes
        worker!.submit()
        current = (current + 1) % TraceDigest.blockCount
        bufferedBytes = 0
    }

    static func hash(_ context: OpaquePointer, _ pointer: UnsafeRawPointer, count: Int) {
        let status = EVP_DigestUpdate(context, pointer, count)
        precondition(status == 1, "EVP_DigestUpdate failed")
    }
}

/// The hashing thread: takes filled blocks in order, hashes them, hands them back. The
/// semaphores order every block's bytes before its hashing and every hashing before the
/// block's reuse.
private final class HashWorker: @unchecked Sendable {
    private let context: OpaquePointer
    private let blocks: UnsafeMutableRawPointer
    private let lengths: UnsafeMutablePointer<Int>
    private let filled = DispatchSemaphore(value: 0)
    private let free: DispatchSemaphore
    private let finished = DispatchSemaphore(value: 0)
    private var next: Int
    private var stopped = false

    init(context: OpaquePointer, blocks: UnsafeMutableRawPointer, lengths: UnsafeMutablePointer<Int>, first: Int) {
        self.context = context
        self.blocks = blocks
        self.lengths = lengths
        next = first
        // The writer holds one block; the others are free.
        free = DispatchSemaphore(value: TraceDigest.blockCount - 1)
        let thread = Thread { [self] in run() }
        thread.name = "trace-digest"
        thread.start()
    }

    /// The writer filled the block it held; it waits for a free one to fill next.
    func submit() {
        filled.signal()
        free.wait()
    }

    /// Hashes what was submitted, then ends the thread. `writerBlock`: the block the writer
    /// holds, the one the thread takes next.
    func stop(writerBlock: Int) {
        guard !stopped else { return }
        stopped = true
        lengths[writerBlock] = -1
        filled.signal()
        finished.wait()
    }

    private func run() {
        var index = next
        while true {
            filled.wait()
            let count = lengths[index]
            if count < 0 { break }
            TraceDigest.hash(context, blocks + index * TraceDigest.blockBytes, count: count)
            index = (index + 1) % TraceDigest.blockCount
            free.signal()
        }
        finished.signal()
    }
}
