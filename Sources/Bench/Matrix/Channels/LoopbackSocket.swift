#if canImport(Glibc)
import Glibc
#endif

/// TCP and Unix-domain sockets on this machine only. Every listener binds an address in
/// 127.0.0.0/8 (127.0.0.1, or a worker VM's loopback address in the virtual modes), so nothing
/// the benchmark starts is reachable from outside, and every socket is close-on-exec.
enum LoopbackSocket {
    /// 127.0.0.1, host byte order.
    static let localhost: UInt32 = 0x7f00_0001

    /// The address QEMU's user-mode network gives every guest (10.0.2.15): inside a worker guest
    /// the worker listens there, where the host's loopback forward reaches it, and nothing else can.
    static let userModeGuest: UInt32 = 0x0a00_020f

    /// A listening socket on `host` (127.0.0.0/8, host byte order, or `userModeGuest` inside a
    /// guest) with `port`, or a port the kernel chose.
    static func listen(host: UInt32 = localhost, port: UInt16 = 0) throws -> (fd: Int32, port: UInt16) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw ChildProcess.error("socket") }
        if port != 0 {
            // A fixed port is the guest's, whose previous worker's connection may linger in TIME_WAIT.
            var one: Int32 = 1
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        }
        var address: sockaddr_in
        do { address = try loopbackAddress(host: host, port: port, allowGuest: true) } catch { Glibc.close(fd); throw error }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, Glibc.listen(fd, 16) == 0 else {
            let error = ChildProcess.error("listening on \(dotted(host))")
            Glibc.close(fd)
            throw error
        }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return (fd, UInt16(bigEndian: actual.sin_port))
    }

    /// A free port on 127.0.0.1 at the time of the call (for sshd, which must be given one).
    static func freePort() throws -> UInt16 {
        let (fd, port) = try listen()
        Glibc.close(fd)
        return port
    }

    /// Accepts one connection, waiting at most `timeoutSeconds`.
    static func accept(_ listener: Int32, timeoutSeconds: Double) throws -> Int32 {
        var poller = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
        let deadline = MonotonicClock.nowSeconds() + timeoutSeconds
        while true {
            let remaining = deadline - MonotonicClock.nowSeconds()
            guard remaining > 0 else { throw MatrixBenchError.failed("no connection within \(timeoutSeconds) s") }
            let ready = poll(&poller, 1, Int32(remaining * 1000) + 1)
            if ready < 0 && errno == EINTR { continue }
            if ready < 0 { throw ChildProcess.error("poll on listener") }
            if ready == 0 { continue }
            let fd = Glibc.accept(listener, nil, nil)
            if fd < 0 {
                if errno == EINTR || errno == ECONNABORTED { continue }
                throw ChildProcess.error("accept")
            }
            // Glibc's Swift module has no accept4; a worker spawns nothing, so nothing can inherit it meanwhile.
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            setNoDelay(fd)
            return fd
        }
    }

    /// Connects to `host`:`port` (127.0.0.1 unless a worker VM's loopback address).
    static func connect(host: UInt32 = localhost, port: UInt16) throws -> Int32 {
        var address = try loopbackAddress(host: host, port: port)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw ChildProcess.error("socket") }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            let error = ChildProcess.error("connecting to \(dotted(host)):\(port)")
            Glibc.close(fd)
            throw error
        }
        setNoDelay(fd)
        return fd
    }

    /// Connects to the Unix-domain socket at `path`.
    static func connect(unixPath path: String) throws -> Int32 {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard bytes.count < capacity else { throw MatrixBenchError.failed("socket path too long: \(path)") }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw ChildProcess.error("socket") }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard result == 0 else {
            let error = ChildProcess.error("connecting to \(path)")
            Glibc.close(fd)
            throw error
        }
        return fd
    }

    /// Frames go out as a header then a payload: without TCP_NODELAY the second write can wait
    /// for the delayed ACK of the first (~40 ms on Linux).
    static func setNoDelay(_ fd: Int32) {
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    /// Refuses anything outside 127.0.0.0/8 (and, for a listener, the user-mode guest address):
    /// the benchmark never leaves this machine.
    private static func loopbackAddress(host: UInt32, port: UInt16, allowGuest: Bool = false) throws -> sockaddr_in {
        guard host >> 24 == 127 || (allowGuest && host == userModeGuest) else { throw MatrixBenchError.failed("\(dotted(host)) is not a loopback address") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr = in_addr(s_addr: host.bigEndian)
        return address
    }

    static func dotted(_ host: UInt32) -> String {
        "\(host >> 24).\((host >> 16) & 0xff).\((host >> 8) & 0xff).\(host & 0xff)"
    }

    /// Parses a dotted IPv4 address into host byte order.
    static func parse(_ text: String) -> UInt32? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false).map { UInt8($0) }
        guard parts.count == 4, parts.allSatisfy({ $0 != nil }) else { return nil }
        return parts.reduce(UInt32(0)) { $0 << 8 | UInt32($1!) }
    }
}
