#if canImport(Glibc)
import Glibc
#endif

/// Reads a whole file (or standard input, `-`) that must not exceed a limit, straight into a buffer of its own.
enum BoundedFileReader {
    static func read(path: String, limitBytes: Int) throws(ConfigCryptoError) -> SecretBytes {
        let descriptor = path == "-" ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw .unreadable(path: path, reason: SystemError.text(errno)) }
        defer { if descriptor != STDIN_FILENO { close(descriptor) } }
        var info = stat()
        if fstat(descriptor, &info) == 0, info.st_mode & S_IFMT == S_IFDIR {
            throw .unreadable(path: path, reason: "is a directory")
        }
        // One byte over the limit tells a file at the limit from a larger one.
        let (buffer, byteCount, failure) = readAll(descriptor, capacityBytes: limitBytes + 1)
        if failure != 0 { throw .unreadable(path: path, reason: SystemError.text(failure)) }
        guard byteCount <= limitBytes else {
            throw .unreadable(path: path, reason: "larger than the \(limitBytes >> 20) MiB limit")
        }
        return buffer.withUnsafeBytes { SecretBytes(copying: UnsafeRawBufferPointer(rebasing: $0[0..<byteCount])) }
    }

    /// Reads `descriptor` to its end or until `capacityBytes`, straight into secret memory; `failure` is an
    /// errno, 0 if none.
    static func readAll(_ descriptor: Int32, capacityBytes: Int) -> (bytes: SecretBytes, byteCount: Int, failure: Int32) {
        var failure: Int32 = 0
        var byteCount = 0
        let bytes = SecretBytes(count: capacityBytes) { buffer in
            while byteCount < buffer.count {
                let result = Glibc.read(descriptor, buffer.baseAddress! + byteCount, buffer.count - byteCount)
                if result < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    return
                }
                if result == 0 { return }
                byteCount += result
            }
        }
        return (bytes, byteCount, failure)
    }
}
