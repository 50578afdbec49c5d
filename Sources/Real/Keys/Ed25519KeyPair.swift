import COpenSSL

/// An Ed25519 key pair made by libcrypto, written the way OpenSSH reads it: the public key as an
/// `authorized_keys`/`.pub` line, the private key in OpenSSH's own format (`openssh-key-v1`, unencrypted), which
/// `ssh -i` and `ssh-keygen -y` accept.
///
/// `@unchecked Sendable`: immutable after init; the private seed lives in a `SecretBytes`.
public final class Ed25519KeyPair: @unchecked Sendable {
    public static let keyType = "ssh-ed25519"
    public static let rawKeyByteCount = 32

    /// The 32-byte public key.
    public let publicKey: [UInt8]
    /// The 32-byte private seed (RFC 8032's secret key).
    let privateSeed: SecretBytes
    public let comment: String

    public init(comment: String) throws(SSHKeyError) {
        guard let context = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nil) else {
            throw .libcrypto(operation: "allocate an Ed25519 key context")
        }
        defer { EVP_PKEY_CTX_free(context) }
        var key: OpaquePointer?
        guard EVP_PKEY_keygen_init(context) == 1, EVP_PKEY_keygen(context, &key) == 1, let key else {
            throw .libcrypto(operation: "generate an Ed25519 key")
        }
        defer { EVP_PKEY_free(key) }
        var publicBytes = [UInt8](repeating: 0, count: Self.rawKeyByteCount)
        var publicCount = publicBytes.count
        var privateCount = Self.rawKeyByteCount
        let seed = SecretBytes(count: Self.rawKeyByteCount) { output in
            if EVP_PKEY_get_raw_private_key(key, output.baseAddress?.assumingMemoryBound(to: UInt8.self), &privateCount) != 1 {
                privateCount = 0
            }
        }
        guard EVP_PKEY_get_raw_public_key(key, &publicBytes, &publicCount) == 1, publicCount == Self.rawKeyByteCount,
              privateCount == Self.rawKeyByteCount else {
            throw .libcrypto(operation: "read the raw Ed25519 key")
        }
        publicKey = publicBytes
        privateSeed = seed
        self.comment = comment
    }

    /// `string "ssh-ed25519"` + `string key`: the public key blob of RFC 8709.
    public var publicKeyBlob: [UInt8] {
        var wire = SSHWireEncoding()
        wire.string(Self.keyType)
        wire.string(publicKey)
        return wire.bytes
    }

    /// `ssh-ed25519 AAAA… comment`, as in a `.pub` file or an `authorized_keys` line.
    public var publicKeyLine: String {
        "\(Self.keyType) \(Base64.encode(publicKeyBlob))" + (comment.isEmpty ? "" : " \(comment)")
    }

    /// The private key file's text (`-----BEGIN OPENSSH PRIVATE KEY-----` …), unencrypted, in a buffer that is
    /// wiped when released.
    public func openSSHPrivateKey() throws(SSHKeyError) -> SecretBytes {
        var check = [UInt8](repeating: 0, count: 4)
        guard RAND_bytes(&check, 4) == 1 else { throw .libcrypto(operation: "produce random bytes") }
        let checkInt = check.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        // PROTOCOL.key: the private section is checkint twice, then per key: type, public key, seed‖public key,
        // comment; padded with 1, 2, 3, … to the cipher's block size (8 for "none").
        var section = SSHWireEncoding()
        section.uint32(checkInt)
        section.uint32(checkInt)
        section.string(Self.keyType)
        section.string(publicKey)
        privateSeed.withUnsafeBytes { seed in section.string(Array(seed) + publicKey) }
        section.string(comment)
        var padding: UInt8 = 1
        while section.bytes.count % 8 != 0 {
            section.raw([padding])
            padding += 1
        }
        var whole = SSHWireEncoding()
        whole.raw(Array("openssh-key-v1".utf8) + [0])
        whole.string("none")
        whole.string("none")
        whole.string([UInt8]())
        whole.uint32(1)
        whole.string(publicKeyBlob)
        whole.string(section.bytes)
        section.wipe()
        defer { whole.wipe() }
        return Self.armored(whole.bytes)
    }

    /// Writes the private key (mode 0600, refusing to replace a file) and `<path>.pub`.
    public func write(privateKeyTo path: String) throws(SSHKeyError) {
        let privateKey = try openSSHPrivateKey()
        do throws(ConfigCryptoError) {
            try PrivateFileWriter.write(privateKey, to: path, replacing: false)
            try PrivateFileWriter.write(Array((publicKeyLine + "\n").utf8), to: path + ".pub", replacing: false)
        } catch .writeFailed(let failedPath, let reason) {
            throw .writeFailed(path: failedPath, reason: reason)
        } catch {
            throw .writeFailed(path: path, reason: error.description)
        }
    }

    private static let lineCharacterCount = 70

    /// PEM-style armour with 70-character lines, as ssh-keygen writes it.
    private static func armored(_ body: [UInt8]) -> SecretBytes {
        let begin = Array("-----BEGIN OPENSSH PRIVATE KEY-----\n".utf8)
        let end = Array("-----END OPENSSH PRIVATE KEY-----\n".utf8)
        let encodedCount = Base64.encodedCount(body.count)
        let lineCount = (encodedCount + lineCharacterCount - 1) / lineCharacterCount
        let encoded = SecretBytes(count: encodedCount) { output in body.withUnsafeBytes { Base64.encode($0, into: output) } }
        return SecretBytes(count: begin.count + encodedCount + lineCount + end.count) { output in
            var at = 0
            func put(_ byte: UInt8) {
                output[at] = byte
                at += 1
            }
            for byte in begin { put(byte) }
            encoded.withUnsafeBytes { text in
                for (index, byte) in text.enumerated() {
                    put(byte)
                    if index % lineCharacterCount == lineCharacterCount - 1 || index == text.count - 1 { put(UInt8(ascii: "\n")) }
                }
            }
            for byte in end { put(byte) }
        }
    }
}
