import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The worker process (`visag bench matrix-worker --channel tcp|tls|tls-keys [--address A]`): one
/// parallel object of the experiment. It listens on 127.0.0.1 (or, inside a worker VM of the
/// virtual modes, on the VM's loopback address), serves exactly one connection (the
/// coordinator's, directly or through an SSH tunnel) and multiplies the blocks of A it receives
/// by B.
///
/// Its stdin is a pipe from the coordinator: two blocks (u64 length, then bytes; length 0 when
/// unused): its TLS identity as PEM, then its `authorized_keys` (`tls-keys` only); then nothing
/// until EOF. EOF means the coordinator is gone, and the worker exits at once, so a coordinator
/// that dies (even by SIGKILL) leaves no worker behind.
public enum MatrixWorker {
    /// The line a worker prints on stdout once it listens.
    static let readyMarker = "VISAG-MATRIX-WORKER"

    public enum ChannelKind: String, Sendable {
        /// Plain TCP.
        case tcp
        /// TLS with the run's authority (identity: authority, certificate, key).
        case tls
        /// TLS accepting exactly the keys of the worker VM's `authorized_keys` (identity: the VM's
        /// own certificate and key).
        case tlsKeys = "tls-keys"
    }

    /// Runs the worker; returns the process exit status. `address` is where it listens (dotted,
    /// in 127.0.0.0/8; nil: 127.0.0.1).
    /// `port`: a fixed port (inside a QEMU guest, the one the host forwards to); nil: the kernel's choice.
    public static func run(channel kind: ChannelKind, address: String? = nil, port fixedPort: UInt16? = nil) -> Int32 {
        signal(SIGPIPE, SIG_IGN)
        BLASLibrary.setThreadCount(1)
        do {
            var host = LoopbackSocket.localhost
            if let address {
                guard let parsed = LoopbackSocket.parse(address) else { throw MatrixBenchError.failed("bad --address \(address)") }
                host = parsed
            }
            let identityPEM = try readBlock()
            let authorizedKeysText = try readBlock()
            startParentWatch()
            let (listener, port) = try LoopbackSocket.listen(host: host, port: fixedPort ?? 0)
            let blas = BLASLibrary.inspect()
            let line = "\(readyMarker) port=\(port) kernel=\(blas.coreName) openblas=\(blas.isOpenBLAS)\n"
            try Array(line.utf8).withUnsafeBytes { try FileDescriptorIO.writeAll(1, $0, what: "stdout") }
            let fd = try LoopbackSocket.accept(listener, timeoutSeconds: 60)
            close(listener)
            let channel: any ByteChannel
            switch kind {
            case .tcp:
                channel = SocketChannel(fd: fd, label: "coordinator")
            case .tls:
                let identity = try TLSIdentity(pem: identityPEM)
                channel = try TLSChannel(fd: fd, context: try TLSContext(identity: identity, role: .server), label: "coordinator")
            case .tlsKeys:
                let identity = try TLSPinnedIdentity(pem: identityPEM)
                let authorized = try AuthorizedKeys(text: String(decoding: authorizedKeysText, as: UTF8.self))
                let context = try TLSContext(identity: identity, pinned: TLSPinnedKeys(authorized.acceptedKeys), role: .server)
                channel = try TLSChannel(fd: fd, context: context, label: "coordinator")
            }
            try serve(channel)
            channel.close()
            return 0
        } catch {
            FileHandle.standardError.write(Data("visag matrix-worker: \(error)\n".utf8))
            return 1
        }
    }

    /// One length-prefixed block from stdin.
    private static func readBlock() throws -> [UInt8] {
        var lengthBytes = [UInt8](repeating: 0, count: 8)
        try lengthBytes.withUnsafeMutableBytes { try FileDescriptorIO.readExact(0, $0, what: "stdin") }
        let length = lengthBytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        guard length <= 1 << 20 else { throw MatrixBenchError.failed("a block of \(length) bytes on stdin") }
        var pem = [UInt8](repeating: 0, count: Int(length))
        try pem.withUnsafeMutableBytes { try FileDescriptorIO.readExact(0, $0, what: "stdin") }
        return pem
    }

    /// Exits when the coordinator's end of stdin closes.
    private static func startParentWatch() {
        let thread = Thread {
            var byte: UInt8 = 0
            while true {
                let count = read(0, &byte, 1)
                if count == 0 || (count < 0 && errno != EINTR) { _exit(0) }
            }
        }
        thread.stackSize = 64 * 1024
        thread.start()
    }

    /// Answers frames until `shutdown` or the coordinator closes the channel.
    static func serve(_ channel: any ByteChannel) throws {
        var b: DenseMatrix?
        var a: DenseMatrix?
        var c: DenseMatrix?
        let spanRunner = DgemmSpanRunner()
        while true {
            let header: FrameHeader
            do {
                header = try Frame.receiveHeader(from: channel)
            } catch MatrixBenchError.failed(let message) where message.hasSuffix("closed the connection") {
                return
            }
            switch header.kind {
            case .matrixB:
                if b?.rows != header.rows || b?.columns != header.columns {
                    b = nil  // free the old B before allocating the new one
                    b = try DenseMatrix(rows: header.rows, columns: header.columns)
                }
                try Frame.receivePayload(header, into: b!.storage, from: channel)
            case .rowsA, .rowsATransferOnly:
                guard let b, b.rows == header.columns else {
                    throw MatrixBenchError.failed("a block of A (\(header.rows) × \(header.columns)) arrived without a matching B")
                }
                if a?.columns != header.columns { a = try DenseMatrix(rows: header.rows, columns: header.columns) }
                if c?.columns != b.columns { c = try DenseMatrix(rows: header.rows, columns: b.columns) }
                try a!.resize(rows: header.rows)
                try c!.resize(rows: header.rows)
                try Frame.receivePayload(header, into: a!.storage, from: channel)
                if header.kind == .rowsA {
                    let start = MonotonicClock.nowSeconds()
                    try c!.setProduct(a!, b)
                    let end = MonotonicClock.nowSeconds()
                    try Frame.send(.timing, values: [start, end], on: channel)
                }
                try Frame.send(.result, rows: c!.rows, columns: c!.columns, payload: c!.storage, on: channel)
            case .calibrate:
                let sizes = try Frame.receiveValues(header, from: channel)
                var rates: [Double] = []
                for size in sizes {
                    guard size >= 1, size <= Double(FrameHeader.maxDimension) else {
                        throw MatrixBenchError.failed("calibration size \(size) out of range")
                    }
                    rates.append(try DgemmRate.measure(size: Int(size)))
                }
                try Frame.send(.rates, values: rates, on: channel)
            case .computeSpan:
                let values = try Frame.receiveValues(header, from: channel)
                guard values.count == 2, values[0] >= 1, values[0] <= Double(FrameHeader.maxDimension),
                      values[1] >= 1, values[1] <= 10_000 else {
                    throw MatrixBenchError.failed("bad computeSpan request \(values)")
                }
                let (start, end) = try spanRunner.span(size: Int(values[0]), products: Int(values[1])) {
                    try Frame.send(.timing, values: [], on: channel)
                    _ = try Frame.receiveValues(try Frame.expect(.computeSpan, from: channel), from: channel)
                }
                try Frame.send(.timing, values: [start, end], on: channel)
            case .shutdown:
                return
            case .result, .timing, .rates:
                throw MatrixBenchError.failed("unexpected \(header.kind) frame from the coordinator")
            }
        }
    }
}
