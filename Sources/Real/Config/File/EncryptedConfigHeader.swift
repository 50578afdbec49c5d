/// The header of an encrypted configuration file, version 1. Every field is authenticated: the whole header is
/// the AES-GCM additional data, so changing any byte of it (costs, salt, nonce, length) fails the tag.
///
/// ```
/// offset  bytes  field
///  0      8      magic "VISAGCFG"
///  8      1      format version (1)
///  9      1      key derivation: 1 key file, 2 scrypt
///  scrypt only:
/// 10      1      log2(N)
/// 11      4      r, big-endian
/// 15      4      p, big-endian
/// 19     16      salt
///  then:
///        12      AES-GCM nonce
///         8      ciphertext length in bytes, big-endian
/// ```
/// The ciphertext follows, then the 16-byte GCM tag.
public struct EncryptedConfigHeader: Equatable, Sendable {
    public static let magic: [UInt8] = Array("VISAGCFG".utf8)
    public static let currentVersion: UInt8 = 1
    public static let nonceByteCount = 12
    public static let tagByteCount = 16
    /// Configuration files are small; the limit keeps a bad header from asking for gigabytes.
    public static let maxPlaintextByteCount = 16 << 20

    public var derivation: KeyDerivation
    public var nonce: [UInt8]
    public var ciphertextByteCount: Int

    public init(derivation: KeyDerivation, nonce: [UInt8], ciphertextByteCount: Int) {
        precondition(nonce.count == Self.nonceByteCount, "a GCM nonce is 12 bytes")
        self.derivation = derivation
        self.nonce = nonce
        self.ciphertextByteCount = ciphertextByteCount
    }

    /// The whole file's size with this header.
    public var fileByteCount: Int { encoded().count + ciphertextByteCount + Self.tagByteCount }

    public func encoded() -> [UInt8] {
        var bytes = Self.magic
        bytes.append(Self.currentVersion)
        bytes.append(derivation.id)
        switch derivation {
        case .keyFile:
            break
        case .scrypt(let cost, let salt):
            precondition(salt.count == KeyDerivation.saltByteCount, "the salt is 16 bytes")
            bytes.append(cost.log2N)
            Self.appendBigEndian(UInt64(cost.blockSize), byteCount: 4, to: &bytes)
            Self.appendBigEndian(UInt64(cost.parallelism), byteCount: 4, to: &bytes)
            bytes += salt
        }
        bytes += nonce
        Self.appendBigEndian(UInt64(ciphertextByteCount), byteCount: 8, to: &bytes)
        return bytes
    }

    /// Reads the header at the start of `file` and checks that the file has exactly the length it announces.
    /// Returns the header and its length in bytes. `path` only names the file in errors.
    public static func parse(_ file: [UInt8], path: String) throws(ConfigCryptoError) -> (header: Self, byteCount: Int) {
        var reader = HeaderByteReader(file)
        guard let magic = reader.take(Self.magic.count), magic.elementsEqual(Self.magic) else {
            throw .notEncryptedConfig(path: path)
        }
        guard let version = reader.take(1)?.first else { throw truncated(path, file, atLeast: reader.offset + 1) }
        guard version == currentVersion else { throw .unsupportedVersion(path: path, version: version) }
        guard let id = reader.take(1)?.first else { throw truncated(path, file, atLeast: reader.offset + 1) }
        let derivation: KeyDerivation
        switch id {
        case KeyDerivation.keyFileID:
            derivation = .keyFile
        case KeyDerivation.scryptID:
            guard let log2N = reader.take(1)?.first, let r = reader.bigEndian(4), let p = reader.bigEndian(4),
                  let salt = reader.take(KeyDerivation.saltByteCount) else {
                throw truncated(path, file, atLeast: magic.count + 2 + 9 + KeyDerivation.saltByteCount)
            }
            let cost = ScryptCost(log2N: log2N, blockSize: UInt32(clamping: r), parallelism: UInt32(clamping: p))
            if let problem = cost.problem() { throw .badKeyDerivationParameters(path: path, problem: problem) }
            derivation = .scrypt(cost, salt: Array(salt))
        default:
            throw .unsupportedKeyDerivation(path: path, id: id)
        }
        guard let nonce = reader.take(nonceByteCount), let length = reader.bigEndian(8) else {
            throw truncated(path, file, atLeast: reader.offset + nonceByteCount + 8)
        }
        let headerByteCount = reader.offset
        // Bounded before any arithmetic with it: the length field is not authenticated until the tag is checked.
        guard length <= UInt64(maxPlaintextByteCount) else {
            throw .badKeyDerivationParameters(
                path: path, problem: "the header announces \(length) bytes of data, more than the \(maxPlaintextByteCount >> 20) MiB limit")
        }
        let header = Self(derivation: derivation, nonce: Array(nonce), ciphertextByteCount: Int(length))
        let expected = headerByteCount + Int(length) + tagByteCount
        if file.count < expected { throw .truncated(path: path, expectedByteCount: expected, foundByteCount: file.count) }
        if file.count > expected { throw .trailingBytes(path: path, extraByteCount: file.count - expected) }
        return (header, headerByteCount)
    }

    private static func truncated(_ path: String, _ file: [UInt8], atLeast: Int) -> ConfigCryptoError {
        .truncated(path: path, expectedByteCount: atLeast, foundByteCount: file.count)
    }

    private static func appendBigEndian(_ value: UInt64, byteCount: Int, to bytes: inout [UInt8]) {
        for shift in stride(from: (byteCount - 1) * 8, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
    }
}
