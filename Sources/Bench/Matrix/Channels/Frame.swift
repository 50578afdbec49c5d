/// The wire protocol between the coordinator and a worker: length-prefixed frames of doubles,
/// little-endian.
///
/// Header, 24 bytes: payload byte count (u64), kind (u32), rows (u32), columns (u32), magic (u32).
/// Payload: rows × columns doubles, row-major, IEEE 754 little-endian. The magic catches a stream
/// that has lost its framing (a truncated write, a channel that altered bytes) at the next header.
enum FrameKind: UInt32, Sendable, CaseIterable {
    /// B, the whole right-hand matrix (n × n). Kept by the worker for the following blocks.
    case matrixB = 1
    /// A block of rows of A (r × n): the worker multiplies it by B and answers `timing` then `result`.
    case rowsA = 2
    /// The block of rows of C = A × B (r × n).
    case result = 3
    /// 1 × 2: CLOCK_MONOTONIC seconds at which the worker's dgemm started and ended.
    case timing = 4
    /// Like `rowsA`, but the worker answers `result` at once, without multiplying (the block's
    /// previous contents): the experiment's traffic with the compute left out, which measures
    /// the channel's rate.
    case rowsATransferOnly = 5
    /// 1 × k matrix sizes: the worker measures its single-thread dgemm rate at each.
    case calibrate = 6
    /// 1 × k GFLOP/s, the answer to `calibrate`.
    case rates = 7
    /// No payload: the worker closes the channel and exits.
    case shutdown = 8
    /// 1 × 2: [n, k]: the worker prepares two n × n matrices of its own, runs one untimed product
    /// and answers an empty `timing` (ready); on the next `computeSpan` (go) it runs k products
    /// and answers `timing` with their span. Several workers released together show what the
    /// cores reach at once.
    case computeSpan = 9
}

struct FrameHeader: Equatable, Sendable {
    static let byteCount = 24
    static let magic: UInt32 = 0x4D47_5356  // "VSGM" in little-endian byte order
    /// Rows and columns above this are refused before any allocation (the CLI's largest size).
    static let maxDimension = 20_000

    var kind: FrameKind
    var rows: Int
    var columns: Int

    var payloadByteCount: Int { rows * columns * MemoryLayout<Double>.size }

    func encoded() -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Self.byteCount)
        func append<T: FixedWidthInteger>(_ value: T) {
            withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
        }
        append(UInt64(payloadByteCount))
        append(kind.rawValue)
        append(UInt32(rows))
        append(UInt32(columns))
        append(Self.magic)
        return bytes
    }

    static func decode(_ bytes: UnsafeRawBufferPointer) throws -> FrameHeader {
        guard bytes.count == byteCount else { throw MatrixBenchError.failed("frame header of \(bytes.count) bytes") }
        func load<T: FixedWidthInteger>(_ offset: Int, as: T.Type) -> T {
            T(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self))
        }
        let length = load(0, as: UInt64.self)
        let rawKind = load(8, as: UInt32.self)
        let rows = Int(load(12, as: UInt32.self))
        let columns = Int(load(16, as: UInt32.self))
        guard load(20, as: UInt32.self) == magic else { throw MatrixBenchError.failed("frame without the protocol's magic: the stream lost its framing") }
        guard let kind = FrameKind(rawValue: rawKind) else { throw MatrixBenchError.failed("unknown frame kind \(rawKind)") }
        guard rows <= maxDimension, columns <= maxDimension else {
            throw MatrixBenchError.failed("frame of \(rows) × \(columns) exceeds \(maxDimension)")
        }
        let header = FrameHeader(kind: kind, rows: rows, columns: columns)
        guard length == UInt64(header.payloadByteCount) else {
            throw MatrixBenchError.failed("frame length \(length) does not match \(rows) × \(columns) doubles")
        }
        return header
    }
}

/// Sending and receiving frames on a channel.
enum Frame {
    /// Payloads up to this size go out in one write with their header.
    private static let coalesceLimitBytes = 4096

    /// Sends a header and `rows × columns` doubles read from `payload`.
    static func send(_ kind: FrameKind, rows: Int, columns: Int, payload: UnsafePointer<Double>?,
                     on channel: any ByteChannel) throws {
        let header = FrameHeader(kind: kind, rows: rows, columns: columns)
        var bytes = header.encoded()
        let count = rows * columns
        guard count > 0, let payload else {
            try bytes.withUnsafeBytes { try channel.send($0) }
            return
        }
        #if _endian(little)
        let raw = UnsafeRawBufferPointer(start: payload, count: header.payloadByteCount)
        if header.payloadByteCount <= coalesceLimitBytes {
            bytes.append(contentsOf: raw)
            try bytes.withUnsafeBytes { try channel.send($0) }
        } else {
            try bytes.withUnsafeBytes { try channel.send($0) }
            try channel.send(raw)
        }
        #else
        for index in 0..<count { withUnsafeBytes(of: payload[index].bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
        try bytes.withUnsafeBytes { try channel.send($0) }
        #endif
    }

    static func send(_ kind: FrameKind, values: [Double], on channel: any ByteChannel) throws {
        try values.withUnsafeBufferPointer {
            try send(kind, rows: values.isEmpty ? 0 : 1, columns: values.count, payload: $0.baseAddress, on: channel)
        }
    }

    static func receiveHeader(from channel: any ByteChannel) throws -> FrameHeader {
        var bytes = [UInt8](repeating: 0, count: FrameHeader.byteCount)
        try bytes.withUnsafeMutableBytes { try channel.receive(into: $0) }
        return try bytes.withUnsafeBytes { try FrameHeader.decode($0) }
    }

    /// Reads the payload that `header` announced into `destination` (room for rows × columns doubles).
    static func receivePayload(_ header: FrameHeader, into destination: UnsafeMutablePointer<Double>,
                               from channel: any ByteChannel) throws {
        let raw = UnsafeMutableRawBufferPointer(start: destination, count: header.payloadByteCount)
        try channel.receive(into: raw)
        #if _endian(big)
        for index in 0..<(header.rows * header.columns) {
            destination[index] = Double(bitPattern: UInt64(littleEndian: destination[index].bitPattern))
        }
        #endif
    }

    static func receiveValues(_ header: FrameHeader, from channel: any ByteChannel) throws -> [Double] {
        var values = [Double](repeating: 0, count: header.rows * header.columns)
        if !values.isEmpty {
            try values.withUnsafeMutableBufferPointer { try receivePayload(header, into: $0.baseAddress!, from: channel) }
        }
        return values
    }

    /// Receives the next frame and checks it is `kind` with the given shape (nil: any).
    static func expect(_ kind: FrameKind, rows: Int? = nil, columns: Int? = nil,
                       from channel: any ByteChannel) throws -> FrameHeader {
        let header = try receiveHeader(from: channel)
        guard header.kind == kind, rows == nil || header.rows == rows, columns == nil || header.columns == columns else {
            throw MatrixBenchError.failed("\(channel.label): expected a \(kind) frame"
                + (rows.map { " of \($0) × \(columns ?? 0)" } ?? "") + ", got \(header.kind) \(header.rows) × \(header.columns)")
        }
        return header
    }
}
