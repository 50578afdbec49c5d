#if canImport(Glibc)
import Glibc
#endif

/// Whole-buffer reads and writes on a blocking descriptor (socket or pipe), retrying on EINTR
/// and short transfers. SIGPIPE is ignored by the benchmark, so a dead peer is an EPIPE error.
enum FileDescriptorIO {
    static func writeAll(_ fd: Int32, _ buffer: UnsafeRawBufferPointer, what: String) throws {
        guard var cursor = buffer.baseAddress else { return }
        var remaining = buffer.count
        while remaining > 0 {
            let written = write(fd, cursor, remaining)
            if written < 0 {
                if errno == EINTR { continue }
                throw ChildProcess.error("writing to \(what)")
            }
            cursor += written
            remaining -= written
        }
    }

    /// Fills `buffer` completely; throws on EOF before the end.
    static func readExact(_ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer, what: String) throws {
        guard var cursor = buffer.baseAddress else { return }
        var remaining = buffer.count
        while remaining > 0 {
            let count = read(fd, cursor, remaining)
            if count < 0 {
                if errno == EINTR { continue }
                throw ChildProcess.error("reading from \(what)")
            }
            if count == 0 { throw MatrixBenchError.failed("\(what) closed the connection") }
            cursor += count
            remaining -= count
        }
    }
}
