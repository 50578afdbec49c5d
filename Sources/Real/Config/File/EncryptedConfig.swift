/// Encrypted configuration files (the report's `popcipher`, with the key outside the binary): AES-256-GCM over
/// the whole plaintext, the header (`EncryptedConfigHeader`) authenticated as additional data. The key is a key
/// file's 32 bytes or scrypt of a passphrase with the costs and salt the header records.
public enum EncryptedConfig {
    /// The encrypted file's bytes. A fresh random nonce (and, with a passphrase, a fresh salt) every time, so
    /// the same key never sees the same nonce twice in practice (2^-96 per pair).
    public static func encrypt(_ plaintext: SecretBytes, with secret: ConfigSecret, cost: ScryptCost = .standard)
        throws(ConfigCryptoError) -> [UInt8]
    {
        guard plaintext.count <= EncryptedConfigHeader.maxPlaintextByteCount else {
            throw .unreadable(path: "plaintext", reason: "larger than the \(EncryptedConfigHeader.maxPlaintextByteCount >> 20) MiB limit")
        }
        let derivation: KeyDerivation
        let key: SecretBytes
        switch secret {
        case .key(let bytes):
            precondition(bytes.count == AESGCM.keyByteCount, "key files hold 32 bytes")
            derivation = .keyFile
            key = bytes
        case .passphrase(let passphrase):
            precondition(cost.problem() == nil, "encrypting with costs this program would refuse to read")
            let salt = try SecureRandom.bytes(KeyDerivation.saltByteCount)
            derivation = .scrypt(cost, salt: salt)
            key = try cost.deriveKey(passphrase: passphrase, salt: salt)
        }
        let header = EncryptedConfigHeader(derivation: derivation, nonce: try SecureRandom.bytes(EncryptedConfigHeader.nonceByteCount),
                                           ciphertextByteCount: plaintext.count)
        let headerBytes = header.encoded()
        let (ciphertext, tag) = try AESGCM.seal(plaintext, key: key, nonce: header.nonce, additionalData: headerBytes)
        return headerBytes + ciphertext + tag
    }

    /// The plaintext of an encrypted file's bytes. `path` names the file in errors.
    public static func decrypt(_ file: [UInt8], path: String, with secret: ConfigSecret) throws(ConfigCryptoError) -> SecretBytes {
        let (header, headerByteCount) = try EncryptedConfigHeader.parse(file, path: path)
        let key: SecretBytes
        switch (header.derivation, secret) {
        case (.keyFile, .key(let bytes)):
            key = bytes
        case (.scrypt(let cost, let salt), .passphrase(let passphrase)):
            key = try cost.deriveKey(passphrase: passphrase, salt: salt)
        case (.keyFile, .passphrase), (.scrypt, .key):
            throw .wrongSecretKind(path: path, fileNeeds: header.derivation.secretName)
        }
        let dataEnd = headerByteCount + header.ciphertextByteCount
        let opened = try AESGCM.open(file[headerByteCount..<dataEnd], tag: file[dataEnd...], key: key, nonce: header.nonce,
                                     additionalData: Array(file[..<headerByteCount]))
        guard let opened else { throw .authenticationFailed(path: path, unlockedWith: secret.name) }
        return opened
    }

    /// Reads and decrypts the file at `path`.
    public static func decryptFile(at path: String, with secret: ConfigSecret) throws(ConfigCryptoError) -> SecretBytes {
        try decrypt(try readEncrypted(path: path), path: path, with: secret)
    }

    /// Encrypts and writes `plaintext` to `path` atomically, mode 0600.
    public static func encryptFile(_ plaintext: SecretBytes, to path: String, with secret: ConfigSecret,
                                   cost: ScryptCost = .standard) throws(ConfigCryptoError) {
        try PrivateFileWriter.write(try encrypt(plaintext, with: secret, cost: cost), to: path)
    }

    /// A plaintext to encrypt, from a file or standard input (`-`), within the format's size limit.
    public static func readPlaintext(path: String) throws(ConfigCryptoError) -> SecretBytes {
        try BoundedFileReader.read(path: path, limitBytes: EncryptedConfigHeader.maxPlaintextByteCount)
    }

    /// An encrypted file's bytes (not secret), bounded by the largest file the format allows.
    static func readEncrypted(path: String) throws(ConfigCryptoError) -> [UInt8] {
        let limit = EncryptedConfigHeader.maxPlaintextByteCount + 1024
        return try BoundedFileReader.read(path: path, limitBytes: limit).withUnsafeBytes { Array($0) }
    }
}
