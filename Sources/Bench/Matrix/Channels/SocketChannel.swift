#if canImport(Glibc)
import Glibc
#endif

/// A plain stream socket (TCP on loopback, or the Unix socket of an SSH tunnel's local end).
///
/// `@unchecked Sendable`: one thread uses a channel at a time; the coordinator hands a channel
/// from one thread to the next only across a thread join.
final class SocketChannel: ByteChannel, @unchecked Sendable {
    let label: String
    private var fd: Int32

    init(fd: Int32, label: String) {
        self.fd = fd
        self.label = label
    }

    deinit { close() }

    func send(_ buffer: UnsafeRawBufferPointer) throws {
        guard var cursor = buffer.baseAddress else { return }
        var remaining = buffer.count
        while remaining > 0 {
            let sent = Glibc.send(fd, cursor, remaining, Int32(MSG_NOSIGNAL))
            if sent < 0 {
                if errno == EINTR { continue }
                throw ChildProcess.error("sending on \(label)")
            }
            cursor += sent
            remaining -= sent
        }
    }

    func receive(into buffer: UnsafeMutableRawBufferPointer) throws {
        try FileDescriptorIO.readExact(fd, buffer, what: label)
    }

    func close() {
        if fd >= 0 {
            Glibc.close(fd)
            fd = -1
        }
    }
}
