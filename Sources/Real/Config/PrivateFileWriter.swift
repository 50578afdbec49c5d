#if canImport(Glibc)
import Glibc
#endif

/// Writes a file readable by its owner only (0600), atomically: the bytes go to a new file beside the target,
/// are flushed to disk, and only then take the target's name. Whatever happens, the target is either the old
/// file or the complete new one, never a part; the temporary file is removed on failure.
public enum PrivateFileWriter {
    public static func write(_ bytes: [UInt8], to path: String, replacing: Bool = true) throws(ConfigCryptoError) {
        var failure: ConfigCryptoError?
        bytes.withUnsafeBytes { buffer in
            do throws(ConfigCryptoError) { try write(buffer, to: path, replacing: replacing) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    public static func write(_ secret: SecretBytes, to path: String, replacing: Bool = true) throws(ConfigCryptoError) {
        try secret.withUnsafeBytes { (buffer) throws(ConfigCryptoError) in try write(buffer, to: path, replacing: replacing) }
    }

    /// `replacing: false` refuses an existing target (the new file is linked in, which fails if the name is taken).
    static func write(_ bytes: UnsafeRawBufferPointer, to path: String, replacing: Bool) throws(ConfigCryptoError) {
        guard !path.isEmpty else { throw .writeFailed(path: path, reason: "empty path") }
        var existing = stat()
        if lstat(path, &existing) == 0 {
            if existing.st_mode & S_IFMT == S_IFDIR { throw .writeFailed(path: path, reason: "is a directory") }
            if !replacing { throw .writeFailed(path: path, reason: "already exists (remove it first)") }
        }
        let directory = parentDirectory(of: path)
        let name = path.split(separator: "/").last.map(String.init) ?? path
        let suffix = ((try? SecureRandom.bytes(6)) ?? [0, 0, 0, 0, 0, UInt8(truncatingIfNeeded: getpid())])
            .map { String($0, radix: 16) }.joined()
        let temporary = (directory == "." && !path.hasPrefix("./") ? "" : directory + "/") + ".\(name).tmp-\(suffix)"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard descriptor >= 0 else { throw .writeFailed(path: path, reason: SystemError.text(errno)) }
        var failure: Int32 = 0
        if fchmod(descriptor, 0o600) != 0 { failure = errno }
        var offset = 0
        while failure == 0, offset < bytes.count {
            let written = Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
                if errno != EINTR { failure = errno }
                continue
            }
            offset += written
        }
        if failure == 0, fsync(descriptor) != 0 { failure = errno }
        if close(descriptor) != 0, failure == 0 { failure = errno }
        if failure == 0 {
            if replacing {
                if rename(temporary, path) != 0 { failure = errno }
            } else if link(temporary, path) != 0 {
                failure = errno
            }
        }
        if failure != 0 || !replacing { unlink(temporary) }
        if failure == EEXIST { throw .writeFailed(path: path, reason: "already exists (remove it first)") }
        if failure != 0 { throw .writeFailed(path: path, reason: SystemError.text(failure)) }
        syncDirectory(directory)
    }

    static func parentDirectory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let parent = String(path[..<slash])
        return parent.isEmpty ? "/" : parent
    }

    /// Makes the rename itself durable; a failure here loses nothing already written, so it is not reported.
    private static func syncDirectory(_ directory: String) {
        let descriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        fsync(descriptor)
        close(descriptor)
    }
}
