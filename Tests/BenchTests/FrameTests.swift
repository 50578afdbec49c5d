@testable import Bench
import XCTest

final class FrameTests: XCTestCase {
    func testHeaderRoundTripsAndIsLittleEndian() throws {
        let header = FrameHeader(kind: .rowsA, rows: 33, columns: 96)
        let bytes = header.encoded()
        XCTAssertEqual(bytes.count, FrameHeader.byteCount)
        // Payload length first, little-endian: 33 × 96 × 8 = 25344 = 0x6300.
        XCTAssertEqual(Array(bytes[0..<8]), [0x00, 0x63, 0, 0, 0, 0, 0, 0])
        XCTAssertEqual(Array(bytes[8..<12]), [2, 0, 0, 0])
        XCTAssertEqual(try bytes.withUnsafeBytes { try FrameHeader.decode($0) }, header)
    }

    func testPayloadRoundTripsOverAChannel() throws {
        let (left, right) = try MatrixTestSupport.channelPair()
        let sent = try DenseMatrix(rows: 7, columns: 5)
        sent.fillRandom(seed: 3)
        sent[0, 0] = -0.0
        sent[6, 4] = .greatestFiniteMagnitude
        try Frame.send(.result, rows: 7, columns: 5, payload: sent.storage, on: left)
        try Frame.send(.timing, values: [1.5, 2.25], on: left)
        try Frame.send(.shutdown, rows: 0, columns: 0, payload: nil, on: left)

        let header = try Frame.expect(.result, rows: 7, columns: 5, from: right)
        let received = try DenseMatrix(rows: 7, columns: 5)
        try Frame.receivePayload(header, into: received.storage, from: right)
        for index in 0..<sent.count {
            XCTAssertEqual(received.storage[index].bitPattern, sent.storage[index].bitPattern)
        }
        XCTAssertEqual(try Frame.receiveValues(try Frame.expect(.timing, from: right), from: right), [1.5, 2.25])
        XCTAssertEqual(try Frame.receiveHeader(from: right), FrameHeader(kind: .shutdown, rows: 0, columns: 0))
    }

    func testMalformedHeadersAreRefused() throws {
        func decode(_ mutate: (inout [UInt8]) -> Void) -> (any Error)? {
            var bytes = FrameHeader(kind: .matrixB, rows: 4, columns: 4).encoded()
            mutate(&bytes)
            do {
                _ = try bytes.withUnsafeBytes { try FrameHeader.decode($0) }
                return nil
            } catch { return error }
        }
        XCTAssertNil(decode { _ in })
        XCTAssertNotNil(decode { $0[20] ^= 0xff })             // magic
        XCTAssertNotNil(decode { $0[8] = 99 })                 // unknown kind
        XCTAssertNotNil(decode { $0[0] = 1 })                  // length does not match rows × columns
        XCTAssertNotNil(decode { $0[12] = 0xff; $0[13] = 0xff; $0[14] = 0xff; $0[15] = 0x7f })  // rows too large
    }

    func testAFrameOfTheWrongKindIsAnError() throws {
        let (left, right) = try MatrixTestSupport.channelPair()
        try Frame.send(.rates, values: [1], on: left)
        XCTAssertThrowsError(try Frame.expect(.timing, from: right)) { error in
            XCTAssertTrue("\(error)".contains("expected a timing frame"), "\(error)")
        }
    }

    func testAClosedPeerIsAnErrorNotAHang() throws {
        let (left, right) = try MatrixTestSupport.channelPair()
        left.close()
        XCTAssertThrowsError(try Frame.receiveHeader(from: right)) { error in
            XCTAssertTrue("\(error)".contains("closed the connection"), "\(error)")
        }
    }
}
