import COpenSSL
#if canImport(Glibc)
import Glibc
#endif

/// An Ed25519 private key (OpenSSL `EVP_PKEY`).
///
/// `@unchecked Sendable`: never modified after generation or loading; OpenSSL allows concurrent
/// read-only use of a key.
final class TLSKey: @unchecked Sendable {
    let pointer: OpaquePointer

    /// A fresh key, never written to disk.
    init() throws {
        guard let context = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nil) else { throw TLSError.openSSL("EVP_PKEY_CTX_new_id") }
        defer { EVP_PKEY_CTX_free(context) }
        var key: OpaquePointer?
        guard EVP_PKEY_keygen_init(context) == 1, EVP_PKEY_keygen(context, &key) == 1, let key else {
            throw TLSError.openSSL("Ed25519 key generation")
        }
        pointer = key
    }

    init(pem: [UInt8]) throws {
        let key = try TLSError.withMemoryBIO(pem) { PEM_read_bio_PrivateKey($0, nil, nil, nil) }
        guard let key else { throw TLSError.openSSL("reading a PEM private key") }
        pointer = key
    }

    deinit { EVP_PKEY_free(pointer) }

    func pem() throws -> [UInt8] {
        try TLSError.writingMemoryBIO { PEM_write_bio_PrivateKey($0, pointer, nil, nil, 0, nil, nil) }
    }
}

/// An X.509 certificate (OpenSSL `X509`).
///
/// `@unchecked Sendable`: never modified after it is issued or loaded.
final class TLSCertificate: @unchecked Sendable {
    let pointer: OpaquePointer

    private init(owning pointer: OpaquePointer) { self.pointer = pointer }

    init(pem: [UInt8]) throws {
        let certificate = try TLSError.withMemoryBIO(pem) { PEM_read_bio_X509($0, nil, nil, nil) }
        guard let certificate else { throw TLSError.openSSL("reading a PEM certificate") }
        pointer = certificate
    }

    deinit { X509_free(pointer) }

    func pem() throws -> [UInt8] {
        try TLSError.writingMemoryBIO { PEM_write_bio_X509($0, pointer) }
    }

    /// Issues a certificate for `subjectKey`, signed by `issuer` (self-signed when nil). Valid from
    /// five minutes ago (clock skew between processes is nil here, but harmless) for one day. A
    /// leaf names `subjectAddress`, the loopback address its holder listens on.
    static func issue(commonName: String, subjectKey: TLSKey, issuer: (certificate: TLSCertificate, key: TLSKey)?,
                      isAuthority: Bool, serial: Int, subjectAddress: String = "127.0.0.1") throws -> TLSCertificate {
        guard let x509 = X509_new() else { throw TLSError.openSSL("X509_new") }
        let certificate = TLSCertificate(owning: x509)
        guard X509_set_version(x509, 2) == 1,
              ASN1_INTEGER_set(X509_get_serialNumber(x509), serial) == 1,
              X509_gmtime_adj(X509_getm_notBefore(x509), -300) != nil,
              X509_gmtime_adj(X509_getm_notAfter(x509), 86_400) != nil,
              X509_set_pubkey(x509, subjectKey.pointer) == 1 else { throw TLSError.openSSL("filling a certificate") }
        let added = Array(commonName.utf8).withUnsafeBufferPointer {
            X509_NAME_add_entry_by_txt(X509_get_subject_name(x509), "CN", MBSTRING_ASC, $0.baseAddress, Int32($0.count), -1, 0)
        }
        guard added == 1 else { throw TLSError.openSSL("setting the subject name") }
        let issuerCertificate = issuer?.certificate.pointer ?? x509
        guard X509_set_issuer_name(x509, X509_get_subject_name(issuerCertificate)) == 1 else {
            throw TLSError.openSSL("setting the issuer name")
        }
        var context = X509V3_CTX()
        X509V3_set_ctx(&context, issuerCertificate, x509, nil, nil, 0)
        let extensions: [(Int32, String)] = isAuthority
            ? [(NID_basic_constraints, "critical,CA:TRUE"), (NID_key_usage, "critical,keyCertSign,cRLSign")]
            : [(NID_basic_constraints, "critical,CA:FALSE"), (NID_key_usage, "critical,digitalSignature"),
               (NID_ext_key_usage, "serverAuth,clientAuth"), (NID_subject_alt_name, "IP:\(subjectAddress)")]
        for (nid, value) in extensions {
            guard let extensionPointer = X509V3_EXT_conf_nid(nil, &context, nid, value) else {
                throw TLSError.openSSL("building extension \(value)")
            }
            defer { X509_EXTENSION_free(extensionPointer) }
            guard X509_add_ext(x509, extensionPointer, -1) == 1 else { throw TLSError.openSSL("adding extension \(value)") }
        }
        // Ed25519 signs the whole message: no separate digest.
        guard X509_sign(x509, (issuer?.key ?? subjectKey).pointer, nil) > 0 else { throw TLSError.openSSL("signing a certificate") }
        return certificate
    }
}

/// A certificate, its private key and the one authority the holder trusts.
struct TLSIdentity: Sendable {
    let certificate: TLSCertificate
    let key: TLSKey
    let authority: TLSCertificate

    /// The three as concatenated PEM (authority, certificate, key): what a worker reads on stdin.
    func pem() throws -> [UInt8] { try authority.pem() + certificate.pem() + key.pem() }

    init(certificate: TLSCertificate, key: TLSKey, authority: TLSCertificate) {
        self.certificate = certificate
        self.key = key
        self.authority = authority
    }

    init(pem: [UInt8]) throws {
        let blocks = TLSIdentity.splitPEM(pem)
        guard blocks.count == 3 else { throw TLSError.openSSL("expected 3 PEM blocks (authority, certificate, key), found \(blocks.count)") }
        authority = try TLSCertificate(pem: blocks[0])
        certificate = try TLSCertificate(pem: blocks[1])
        key = try TLSKey(pem: blocks[2])
    }

    static func splitPEM(_ bytes: [UInt8]) -> [[UInt8]] {
        let text = String(decoding: bytes, as: UTF8.self)
        var blocks: [[UInt8]] = []
        var current = ""
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("-----BEGIN ") { current = "" }
            current += line + "\n"
            if line.hasPrefix("-----END ") { blocks.append(Array(current.utf8)) }
        }
        return blocks
    }
}

/// The throwaway public-key infrastructure of one benchmark run: a certificate authority that
/// exists only in this process's memory, and the two leaf identities it signs. A worker gets its
/// identity through its stdin pipe, so no key ever touches the disk.
struct TLSRunCredentials: Sendable {
    let authority: TLSCertificate
    let worker: TLSIdentity
    let coordinator: TLSIdentity

    static func generate(name: String = "visag matrix run") throws -> TLSRunCredentials {
        let authorityKey = try TLSKey()
        let authority = try TLSCertificate.issue(commonName: "\(name) CA", subjectKey: authorityKey, issuer: nil,
                                                 isAuthority: true, serial: 1)
        func leaf(_ role: String, serial: Int) throws -> TLSIdentity {
            let key = try TLSKey()
            let certificate = try TLSCertificate.issue(commonName: "\(name) \(role)", subjectKey: key,
                                                       issuer: (authority, authorityKey), isAuthority: false, serial: serial)
            return TLSIdentity(certificate: certificate, key: key, authority: authority)
        }
        return TLSRunCredentials(authority: authority, worker: try leaf("worker", serial: 2),
                                 coordinator: try leaf("coordinator", serial: 3))
    }
}

/// OpenSSL's error queue as a benchmark error.
enum TLSError {
    static func openSSL(_ what: String) -> MatrixBenchError {
        var reasons: [String] = []
        while case let code = ERR_get_error(), code != 0 {
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            reasons.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return .failed("TLS: \(what) failed" + (reasons.isEmpty ? "" : ": " + reasons.joined(separator: "; ")))
    }

    static func withMemoryBIO<T>(_ bytes: [UInt8], _ body: (OpaquePointer) -> T) throws -> T {
        try bytes.withUnsafeBytes { raw in
            guard let bio = BIO_new_mem_buf(raw.baseAddress, Int32(raw.count)) else { throw openSSL("BIO_new_mem_buf") }
            defer { BIO_free(bio) }
            return body(bio)
        }
    }

    static func writingMemoryBIO(_ body: (OpaquePointer) -> Int32) throws -> [UInt8] {
        guard let bio = BIO_new(BIO_s_mem()) else { throw openSSL("BIO_new") }
        defer { BIO_free(bio) }
        guard body(bio) == 1 else { throw openSSL("writing PEM") }
        var data: UnsafeMutablePointer<CChar>?
        let length = BIO_ctrl(bio, BIO_CTRL_INFO, 0, &data)
        guard length > 0, let data else { return [] }
        return Array(UnsafeRawBufferPointer(start: data, count: length))
    }
}
