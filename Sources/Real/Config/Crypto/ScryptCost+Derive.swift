import COpenSSL

extension ScryptCost {
    /// The 256-bit key scrypt derives from `passphrase` and `salt` with these costs (`EVP_PBE_scrypt`).
    func deriveKey(passphrase: SecretBytes, salt: [UInt8]) throws(ConfigCryptoError) -> SecretBytes {
        precondition(problem() == nil, "costs are checked before deriving")
        var succeeded = false
        let key = SecretBytes(count: AESGCM.keyByteCount) { output in
            succeeded = passphrase.withUnsafeBytes { pass in
                EVP_PBE_scrypt(pass.baseAddress?.assumingMemoryBound(to: CChar.self), pass.count, salt, salt.count,
                               n, UInt64(blockSize), UInt64(parallelism), Self.memoryLimitBytes + (1 << 20),
                               output.baseAddress?.assumingMemoryBound(to: UInt8.self), output.count) == 1
            }
        }
        guard succeeded else { throw .crypto(operation: "derive a key with scrypt") }
        return key
    }
}
