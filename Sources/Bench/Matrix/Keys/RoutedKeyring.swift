import COpenSSL
import Foundation

/// The run's Ed25519 keys, one per key owner Model routes (`KeyOwner`), made on first use and
/// never written to disk. Model decides which owners' keys a worker VM gets; this keyring only
/// supplies real key material for them, so that a worker's trust is exactly Model's routing.
///
/// Used by the coordinator's thread only.
final class RoutedKeyring {
    private var keys: [KeyOwner: TLSKey] = [:]
    private var certificates: [KeyOwner: TLSCertificate] = [:]
    private var serial = 100

    init() {}

    func key(of owner: KeyOwner) throws -> TLSKey {
        if let key = keys[owner] { return key }
        let key = try TLSKey()
        keys[owner] = key
        return key
    }

    /// `ssh-ed25519 <base64 of the wire-format key> <owner>`: the line a guest's
    /// `authorized_keys` holds for this owner.
    func openSSHPublicKey(of owner: KeyOwner) throws -> String {
        OpenSSHKey.line(rawPublicKey: try key(of: owner).rawPublicKey(), comment: owner.description)
    }

    /// A self-signed certificate for the owner's key: TLS needs a certificate to carry the key,
    /// but the peer trusts the key itself (pinned), not a signer.
    func identity(of owner: KeyOwner, address: String) throws -> TLSPinnedIdentity {
        let key = try key(of: owner)
        if let certificate = certificates[owner] { return TLSPinnedIdentity(certificate: certificate, key: key) }
        serial += 1
        let certificate = try TLSCertificate.issue(commonName: "visag \(owner)", subjectKey: key, issuer: nil,
                                                   isAuthority: false, serial: serial, subjectAddress: address)
        certificates[owner] = certificate
        return TLSPinnedIdentity(certificate: certificate, key: key)
    }
}

/// The OpenSSH public-key format for Ed25519 (RFC 8709): string "ssh-ed25519", string key.
enum OpenSSHKey {
    static let type = "ssh-ed25519"
    static let rawKeyBytes = 32

    static func line(rawPublicKey: [UInt8], comment: String) -> String {
        "\(type) \(Data(wire(rawPublicKey)).base64EncodedString()) \(comment)"
    }

    static func wire(_ rawPublicKey: [UInt8]) -> [UInt8] {
        func string(_ bytes: [UInt8]) -> [UInt8] {
            withUnsafeBytes(of: UInt32(bytes.count).bigEndian) { Array($0) } + bytes
        }
        return string(Array(type.utf8)) + string(rawPublicKey)
    }

    /// The raw key in a base64 wire-format blob, or nil if it is not an Ed25519 key.
    static func rawPublicKey(fromBase64 text: Substring) -> [UInt8]? {
        guard let data = Data(base64Encoded: String(text)) else { return nil }
        let bytes = [UInt8](data)
        guard bytes.count == 4 + type.utf8.count + 4 + rawKeyBytes, bytes == wire(Array(bytes.suffix(rawKeyBytes))) else {
            return nil
        }
        return Array(bytes.suffix(rawKeyBytes))
    }
}

extension TLSKey {
    /// The 32 bytes of the Ed25519 public key.
    func rawPublicKey() throws -> [UInt8] {
        try Self.rawPublicKey(of: pointer)
    }

    static func rawPublicKey(of key: OpaquePointer) throws -> [UInt8] {
        var length = 0
        guard EVP_PKEY_get_raw_public_key(key, nil, &length) == 1, length == OpenSSHKey.rawKeyBytes else {
            throw TLSError.openSSL("reading an Ed25519 public key")
        }
        var bytes = [UInt8](repeating: 0, count: length)
        guard EVP_PKEY_get_raw_public_key(key, &bytes, &length) == 1 else { throw TLSError.openSSL("reading an Ed25519 public key") }
        return bytes
    }
}
