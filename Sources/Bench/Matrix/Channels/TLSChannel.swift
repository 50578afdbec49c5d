import COpenSSL
#if canImport(Glibc)
import Glibc
#endif

/// TLS 1.3 settings shared by both ends: AES-128-GCM only, mutual authentication against the
/// run's authority, or against pinned keys, and nothing else (the system's trust store is never
/// loaded).
///
/// `@unchecked Sendable`: configured once in `init`; OpenSSL allows creating connections from
/// one `SSL_CTX` on several threads.
final class TLSContext: @unchecked Sendable {
    enum Role { case server, client }

    let pointer: OpaquePointer
    let role: Role
    /// Kept alive for OpenSSL's verify callback, which holds it unretained.
    private let pinned: TLSPinnedKeys?

    /// Trusts peers whose certificate the identity's authority signed.
    convenience init(identity: TLSIdentity, role: Role) throws {
        try self.init(certificate: identity.certificate, key: identity.key, authority: identity.authority, pinned: nil, role: role)
    }

    /// Trusts peers whose key is one of `pinned`, whoever signed their certificate.
    convenience init(identity: TLSPinnedIdentity, pinned: TLSPinnedKeys, role: Role) throws {
        try self.init(certificate: identity.certificate, key: identity.key, authority: nil, pinned: pinned, role: role)
    }

    private init(certificate: TLSCertificate, key: TLSKey, authority: TLSCertificate?, pinned: TLSPinnedKeys?, role: Role) throws {
        guard let context = SSL_CTX_new(TLS_method()) else { throw TLSError.openSSL("SSL_CTX_new") }
        pointer = context
        self.role = role
        self.pinned = pinned
        guard SSL_CTX_ctrl(context, SSL_CTRL_SET_MIN_PROTO_VERSION, Int(TLS1_3_VERSION), nil) == 1,
              SSL_CTX_set_ciphersuites(context, "TLS_AES_128_GCM_SHA256") == 1,
              SSL_CTX_use_certificate(context, certificate.pointer) == 1,
              SSL_CTX_use_PrivateKey(context, key.pointer) == 1,
              SSL_CTX_check_private_key(context) == 1 else {
            throw TLSError.openSSL("configuring the TLS context")
        }
        if let authority {
            guard X509_STORE_add_cert(SSL_CTX_get_cert_store(context), authority.pointer) == 1 else {
                throw TLSError.openSSL("trusting the run's authority")
            }
        }
        pinned?.install(on: context)
        // Both sides present and check a certificate: a peer without one signed by the run's
        // authority (or without a pinned key) fails the handshake.
        SSL_CTX_set_verify(context, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nil)
        // One connection per worker and no resumption: tickets would only add a message after
        // the handshake that the client reads in the middle of the first frame.
        SSL_CTX_set_num_tickets(context, 0)
        // Fewer, larger reads from the socket for the multi-megabyte matrix frames.
        SSL_CTX_ctrl(context, SSL_CTRL_SET_READ_AHEAD, 1, nil)
        SSL_CTX_set_default_read_buffer_len(context, 256 * 1024)
    }

    var isPinned: Bool { pinned != nil }

    deinit { SSL_CTX_free(pointer) }
}

/// A `ByteChannel` over TLS on a connected socket.
///
/// `@unchecked Sendable`: one thread uses a channel at a time (see `SocketChannel`); the `SSL`
/// object is never shared between threads concurrently.
final class TLSChannel: ByteChannel, @unchecked Sendable {
    let label: String
    private var ssl: OpaquePointer?
    private var fd: Int32

    /// Runs the handshake on `fd` (which the channel then owns). A client also checks that the
    /// server's certificate names 127.0.0.1. Throws, closing `fd`, if the peer is refused.
    init(fd: Int32, context: TLSContext, label: String, handshakeTimeoutSeconds: Double = 10) throws {
        self.fd = fd
        self.label = label
        guard let ssl = SSL_new(context.pointer) else {
            Glibc.close(fd)
            throw TLSError.openSSL("SSL_new")
        }
        self.ssl = ssl
        do {
            guard SSL_set_fd(ssl, fd) == 1 else { throw TLSError.openSSL("SSL_set_fd") }
            Self.setTimeout(fd, seconds: handshakeTimeoutSeconds)
            let result: Int32
            switch context.role {
            case .client:
                // Against an authority, the server's certificate must also name the address dialled;
                // a pinned key already names the one peer it can be.
                if !context.isPinned {
                    guard X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), "127.0.0.1") == 1 else {
                        throw TLSError.openSSL("setting the expected peer address")
                    }
                }
                result = SSL_connect(ssl)
            case .server:
                result = SSL_accept(ssl)
            }
            guard result == 1 else { throw Self.handshakeError(ssl, result: result, label: label) }
            Self.setTimeout(fd, seconds: 0)
        } catch {
            close()
            throw error
        }
    }

    deinit { close() }

    private static func handshakeError(_ ssl: OpaquePointer, result: Int32, label: String) -> MatrixBenchError {
        let verify = SSL_get_verify_result(ssl)
        let detail = verify == X509_V_OK ? "" : " (peer certificate: \(String(cString: X509_verify_cert_error_string(verify))))"
        return TLSError.openSSL("handshake on \(label)\(detail)")
    }

    /// Bounds the handshake: a peer that never answers must not hang set-up. 0 clears it.
    private static func setTimeout(_ fd: Int32, seconds: Double) {
        var value = timeval(tv_sec: Int(seconds), tv_usec: Int((seconds - seconds.rounded(.down)) * 1e6))
        let size = socklen_t(MemoryLayout<timeval>.size)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &value, size)
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &value, size)
    }

    func send(_ buffer: UnsafeRawBufferPointer) throws {
        guard let base = buffer.baseAddress else { return try requireOpen() }
        try transfer(buffer.count, what: "sending on") { ssl, offset, remaining, moved in
            SSL_write_ex(ssl, base + offset, remaining, &moved)
        }
    }

    func receive(into buffer: UnsafeMutableRawBufferPointer) throws {
        guard let base = buffer.baseAddress else { return try requireOpen() }
        try transfer(buffer.count, what: "reading from") { ssl, offset, remaining, moved in
            SSL_read_ex(ssl, base + offset, remaining, &moved)
        }
    }

    private func requireOpen() throws {
        guard ssl != nil else { throw MatrixBenchError.failed("\(label) is closed") }
    }

    /// Loops one OpenSSL call (`SSL_write_ex` or `SSL_read_ex`) until `count` bytes have moved: each call may move
    /// fewer than asked.
    private func transfer(_ count: Int, what: String,
                          _ call: (OpaquePointer, Int, Int, inout Int) -> Int32) throws {
        guard let ssl else { throw MatrixBenchError.failed("\(label) is closed") }
        var offset = 0
        while offset < count {
            var moved = 0
            guard call(ssl, offset, count - offset, &moved) == 1 else {
                throw ioError(ssl, result: 0, what: what)
            }
            offset += moved
        }
    }

    private func ioError(_ ssl: OpaquePointer, result: Int32, what: String) -> MatrixBenchError {
        switch SSL_get_error(ssl, result) {
        case SSL_ERROR_ZERO_RETURN: return .failed("\(label) closed the connection")
        case SSL_ERROR_SYSCALL where errno == 0: return .failed("\(label) closed the connection")
        default: return TLSError.openSSL("\(what) \(label)")
        }
    }

    func close() {
        if let ssl {
            // A best-effort close_notify; the peer may already be gone.
            SSL_shutdown(ssl)
            SSL_free(ssl)
            self.ssl = nil
        }
        if fd >= 0 {
            Glibc.close(fd)
            fd = -1
        }
    }
}
