import COpenSSL

/// A certificate and its key, trusted by the peer for the key alone (pinned): what a worker VM
/// and the application's main node present in the virtual-secure mode.
struct TLSPinnedIdentity: Sendable {
    let certificate: TLSCertificate
    let key: TLSKey

    /// Certificate then key, as PEM: what a worker reads on stdin.
    func pem() throws -> [UInt8] { try certificate.pem() + key.pem() }

    init(certificate: TLSCertificate, key: TLSKey) {
        self.certificate = certificate
        self.key = key
    }

    init(pem: [UInt8]) throws {
        let blocks = TLSIdentity.splitPEM(pem)
        guard blocks.count == 2 else { throw TLSError.openSSL("expected 2 PEM blocks (certificate, key), found \(blocks.count)") }
        certificate = try TLSCertificate(pem: blocks[0])
        key = try TLSKey(pem: blocks[1])
    }
}

/// The Ed25519 public keys a TLS end accepts from its peer, like an SSH `authorized_keys` (a
/// worker: the keys Model routed to its VM) or `known_hosts` (the main node: the worker VM's own
/// key). Replaces OpenSSL's chain verification: the peer's certificate is only the envelope of
/// its key, so self-signed certificates are fine and no authority is involved.
///
/// `@unchecked Sendable`: never modified after `init`; OpenSSL reads it from its verify callback.
final class TLSPinnedKeys: @unchecked Sendable {
    let keys: [[UInt8]]

    init(_ keys: [[UInt8]]) { self.keys = keys }

    func accepts(_ rawPublicKey: [UInt8]) -> Bool { keys.contains(rawPublicKey) }

    /// Installs the check on `context`; the context must keep `self` alive (it is passed unretained).
    func install(on context: OpaquePointer) {
        SSL_CTX_set_cert_verify_callback(context, { storeContext, argument in
            guard let storeContext, let argument,
                  let certificate = X509_STORE_CTX_get0_cert(storeContext),
                  let key = X509_get0_pubkey(certificate),
                  let raw = try? TLSKey.rawPublicKey(of: key) else { return 0 }
            let pinned = Unmanaged<TLSPinnedKeys>.fromOpaque(argument).takeUnretainedValue()
            guard pinned.accepts(raw) else {
                X509_STORE_CTX_set_error(storeContext, Int32(X509_V_ERR_CERT_REJECTED))
                return 0
            }
            return 1
        }, Unmanaged.passUnretained(self).toOpaque())
    }
}
