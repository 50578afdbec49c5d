import COpenSSL

/// Random bytes from libcrypto's CSPRNG (seeded from the kernel): nonces, salts, keys.
public enum SecureRandom {
    public static func bytes(_ count: Int) throws(ConfigCryptoError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        guard count == 0 || RAND_bytes(&bytes, Int32(count)) == 1 else { throw .crypto(operation: "produce random bytes") }
        return bytes
    }

    /// Random bytes straight into a secret buffer (keys), never through an ordinary array.
    public static func secret(_ count: Int) throws(ConfigCryptoError) -> SecretBytes {
        var failed = false
        let secret = SecretBytes(count: count) { buffer in
            if count > 0, RAND_bytes(buffer.baseAddress!.assumingMemoryBound(to: UInt8.self), Int32(count)) != 1 {
                failed = true
            }
        }
        if failed { throw .crypto(operation: "produce random bytes") }
        return secret
    }
}
