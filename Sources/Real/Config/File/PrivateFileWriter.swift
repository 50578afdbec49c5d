import Sim
#if canImport(Glibc)
import Glibc
#endif

/// Writes a file readable by its owner only (0600) through the output writer (`OutputFile`): a regular file or
/// a new path gets a new file beside it, flushed to disk, that only then takes the target's name, so the target
/// is either the old file or the complete new one; a FIFO or device is written through, a symbolic link followed.
/// The temporary file is removed on failure.
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
        var options = OutputFile.Options.private
        options.refuseExisting = !replacing
        do {
            try OutputFile.write(bytes, to: path, options: options)
        } catch {
            throw .writeFailed(path: path, reason: error.message)
        }
    }
}
