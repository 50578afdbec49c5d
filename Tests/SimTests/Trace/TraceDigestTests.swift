import XCTest
import Sim

final class TraceDigestTests: XCTestCase {
    private func digest(_ build: (TraceDigest) -> Void) -> String {
        let digest = TraceDigest()
        build(digest)
        return digest.finalize()
    }

    func testKnownVectors() {
        XCTAssertEqual(
            digest { _ in },
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(
            digest { $0.update("abc") },
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(
            digest { $0.update("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") },
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    func testMillionAsInChunksThatStraddleTheBuffer() {
        // Chunk sizes below, at and above the 4 KiB buffer exercise every path.
        let chunkSizes = [1, 7, 4095, 4096, 4097, 10_000, 63]
        let result = digest { digest in
            var fed = 0
            var turn = 0
            while fed < 1_000_000 {
                let size = min(chunkSizes[turn % chunkSizes.count], 1_000_000 - fed)
                digest.update([UInt8](repeating: UInt8(ascii: "a"), count: size))
                fed += size
                turn += 1
            }
        }
        XCTAssertEqual(result, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    func testIntegersAreLittleEndian() {
        XCTAssertEqual(
            digest { $0.update(UInt64(0x0102_0304_0506_0708)) },
            digest { $0.update([8, 7, 6, 5, 4, 3, 2, 1] as [UInt8]) })
        XCTAssertEqual(digest { $0.update(-1 as Int) }, digest { $0.update(UInt64.max) })
        XCTAssertEqual(digest { $0.update(Int64(-2)) }, digest { $0.update(UInt64.max - 1) })
    }

    func testDoublesUseTheirBitPattern() {
        XCTAssertEqual(digest { $0.update(1.5) }, digest { $0.update((1.5).bitPattern) })
        XCTAssertNotEqual(digest { $0.update(0.0) }, digest { $0.update(-0.0) })
    }

    func testMixedUpdatesEqualOneContiguousUpdate() {
        var expected: [UInt8] = []
        let mixed = digest { digest in
            for i in 0..<3000 {
                let value = UInt64(i) &* 0x9E37_79B9_7F4A_7C15
                digest.update(value)
                withUnsafeBytes(of: value.littleEndian) { expected.append(contentsOf: $0) }
                if i % 97 == 0 {
                    let text = "event \(i);"
                    digest.update(text)
                    expected.append(contentsOf: text.utf8)
                }
                if i % 1000 == 0 {
                    let block = [UInt8](repeating: UInt8(truncatingIfNeeded: i), count: 9000)
                    digest.update(block)
                    expected.append(contentsOf: block)
                }
            }
        }
        XCTAssertEqual(mixed, digest { $0.update(expected) })
    }

    func testFinalizeIsIdempotent() {
        let digest = TraceDigest()
        digest.update("abc")
        XCTAssertFalse(digest.isFinalized)
        let first = digest.finalize()
        XCTAssertTrue(digest.isFinalized)
        XCTAssertEqual(digest.finalize(), first)
        XCTAssertEqual(first.count, 64)
    }

    func testManyValuesHashDeterministically() {
        let a = digest { d in for i in 0..<1_000_000 { d.update(UInt64(i)) } }
        let b = digest { d in for i in 0..<1_000_000 { d.update(UInt64(i)) } }
        XCTAssertEqual(a, b)
        XCTAssertNotEqual(a, digest { d in for i in 1..<1_000_001 { d.update(UInt64(i)) } })
    }
}

final class TraceDigestWorkerTests: XCTestCase {
    /// FIPS 180-2's long test vector, fed in odd-sized pieces through the hashing thread
    /// (it starts at the first full block) and on the caller's thread.
    func testMillionAsMatchesTheStandardVectorOnBothPaths() {
        let expected = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
        for limit in [0, TraceDigest.defaultInlineLimitBytes] {
            let digest = TraceDigest(inlineLimitBytes: limit)
            let piece = [UInt8](repeating: UInt8(ascii: "a"), count: 7)
            for _ in 0..<(1_000_000 / 7) { digest.update(piece) }
            digest.update([UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000 % 7))
            XCTAssertEqual(digest.finalize(), expected, "inline limit \(limit)")
        }
    }

    /// A trace long enough for the worker hashes the same as the same bytes hashed inline.
    func testWorkerAndInlineAgreeOnLongTraces() {
        func run(_ limit: Int) -> String {
            let digest = TraceDigest(inlineLimitBytes: limit)
            for i in 0..<2_000_000 { digest.update(Double(i) * 0.5) }
            return digest.finalize()
        }
        XCTAssertEqual(run(0), run(Int.max))
    }

    /// A digest dropped before it is finalised stops its thread (no hang, no crash).
    func testAbandonedDigestStopsItsWorker() {
        for _ in 0..<20 {
            let digest = TraceDigest(inlineLimitBytes: 0)
            for i in 0..<100_000 { digest.update(UInt64(i)) }
        }
    }
}

final class TraceDigestRecordTests: XCTestCase {
    /// A four-value record hashes as its four values one by one, across block boundaries too.
    func testARecordIsItsFourValues() {
        let one = TraceDigest(inlineLimitBytes: 0)
        let four = TraceDigest(inlineLimitBytes: 0)
        for i in 0..<10_000 {
            let w = (UInt64(i), UInt64(i) &* 3, UInt64(i) << 20, ~UInt64(i))
            if i % 7 == 0 { one.update(UInt64(99)); four.update(UInt64(99)) }
            one.update(w.0); one.update(w.1); one.update(w.2); one.update(w.3)
            four.update(w.0, w.1, w.2, w.3)
        }
        XCTAssertEqual(one.finalize(), four.finalize())
    }
}
