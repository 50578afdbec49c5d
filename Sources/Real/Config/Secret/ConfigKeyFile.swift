#if canImport(Glibc)
import Glibc
#endif

/// Key files: 256-bit AES keys for encrypted configurations.
///
/// Format: 64 hexadecimal characters (what `visag config keygen` writes, with a final newline), or exactly 32 raw
/// bytes. The file must be a regular file that neither group nor others may access (mode 0600 or 0400), like
/// OpenSSH's private keys; anything else is refused before its contents are read.
public enum ConfigKeyFile {
    public static let hexCharacterCount = 64
    /// Anything larger is not a key file (and is not read into memory).
    static let maxFileByteCount = 4096

    public static func read(path: String) throws(ConfigCryptoError) -> SecretBytes {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw .keyFile(path: path, problem: SystemError.text(errno)) }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw .keyFile(path: path, problem: SystemError.text(errno)) }
        guard info.st_mode & S_IFMT == S_IFREG else { throw .keyFile(path: path, problem: "not a regular file") }
        let permissions = info.st_mode & 0o777
        guard permissions & 0o077 == 0 else {
            throw .keyFile(path: path, problem: "mode is \(String(permissions, radix: 8)); group and others must have "
                           + "no access (run chmod 600 \(path))")
        }
        guard info.st_size <= maxFileByteCount else {
            throw .keyFile(path: path, problem: "\(info.st_size) bytes is not a key (expected 64 hex characters or 32 bytes)")
        }
        let (contents, byteCount, readFailed) = BoundedFileReader.readAll(descriptor, capacityBytes: maxFileByteCount + 1)
        if readFailed != 0 { throw .keyFile(path: path, problem: SystemError.text(readFailed)) }
        guard let key = decode(contents, byteCount: byteCount) else {
            throw .keyFile(path: path, problem: "expected 64 hexadecimal characters or exactly 32 bytes "
                           + "(visag config keygen writes one)")
        }
        return key
    }

    /// 32 raw bytes, or 64 hex digits with optional surrounding whitespace; nil otherwise.
    static func decode(_ contents: SecretBytes, byteCount: Int) -> SecretBytes? {
        contents.withUnsafeBytes { raw -> SecretBytes? in
            let bytes = UnsafeRawBufferPointer(rebasing: raw[0..<min(byteCount, raw.count)])
            if bytes.count == AESGCM.keyByteCount { return SecretBytes(copying: bytes) }
            var start = 0
            var end = bytes.count
            while start < end, isSpace(bytes[start]) { start += 1 }
            while end > start, isSpace(bytes[end - 1]) { end -= 1 }
            guard end - start == hexCharacterCount else { return nil }
            var valid = true
            let key = SecretBytes(count: AESGCM.keyByteCount) { output in
                for index in 0..<AESGCM.keyByteCount {
                    guard let high = hexValue(bytes[start + 2 * index]), let low = hexValue(bytes[start + 2 * index + 1])
                    else { valid = false; return }
                    output[index] = high << 4 | low
                }
            }
            return valid ? key : nil
        }
    }

    /// Writes a new random key as 64 hex characters and a newline, mode 0600. Refuses to replace an existing
    /// file: files encrypted with the old key would be lost with it.
    public static func generate(to path: String) throws(ConfigCryptoError) {
        let key = try SecureRandom.secret(AESGCM.keyByteCount)
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        let text = SecretBytes(count: hexCharacterCount + 1) { output in
            key.withUnsafeBytes { bytes in
                for (index, byte) in bytes.enumerated() {
                    output[2 * index] = digits[Int(byte >> 4)]
                    output[2 * index + 1] = digits[Int(byte & 0x0f)]
                }
            }
            output[hexCharacterCount] = UInt8(ascii: "\n")
        }
        try PrivateFileWriter.write(text, to: path, replacing: false)
    }

    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") || byte == UInt8(ascii: "\t")
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
