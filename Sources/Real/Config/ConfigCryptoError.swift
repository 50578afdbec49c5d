/// Why an encrypted configuration could not be read, written or edited. Every message names the file (or the
/// environment variable) and never carries key bytes, a passphrase or plaintext.
public enum ConfigCryptoError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file does not start with the format's magic bytes.
    case notEncryptedConfig(path: String)
    case unsupportedVersion(path: String, version: UInt8)
    case unsupportedKeyDerivation(path: String, id: UInt8)
    /// The header's scrypt parameters are outside what this program will spend memory and time on.
    case badKeyDerivationParameters(path: String, problem: String)
    case truncated(path: String, expectedByteCount: Int, foundByteCount: Int)
    case trailingBytes(path: String, extraByteCount: Int)
    /// The tag did not verify: the wrong key or passphrase, or a modified byte anywhere in the file.
    case authenticationFailed(path: String, unlockedWith: String)
    /// The file was encrypted for a key file and a passphrase was given, or the other way round.
    case wrongSecretKind(path: String, fileNeeds: String)
    case keyFile(path: String, problem: String)
    case passphrase(variable: String, problem: String)
    /// The decrypted hypervisor settings are not in their format (`line` 0: the file as a whole).
    case badSettings(path: String, line: Int, problem: String)
    /// A file that could not be read (missing, a directory, too large).
    case unreadable(path: String, reason: String)
    case writeFailed(path: String, reason: String)
    /// The editor failed or was stopped; the encrypted file is unchanged.
    case editorFailed(path: String, reason: String)
    /// A signal ended the edit; the encrypted file is unchanged.
    case interrupted(path: String, signal: Int32)
    /// libcrypto refused an operation that should not fail.
    case crypto(operation: String)

    /// Input the user can fix (the CLI's exit 2), as opposed to a failure while writing or editing (exit 1).
    public var isBadInput: Bool {
        switch self {
        case .notEncryptedConfig, .unsupportedVersion, .unsupportedKeyDerivation, .badKeyDerivationParameters,
             .truncated, .trailingBytes, .authenticationFailed, .wrongSecretKind, .keyFile, .passphrase, .badSettings, .unreadable:
            true
        case .writeFailed, .editorFailed, .interrupted, .crypto:
            false
        }
    }

    public var description: String {
        switch self {
        case .notEncryptedConfig(let path):
            "\(path): not a visag encrypted configuration (bad magic bytes)"
        case .unsupportedVersion(let path, let version):
            "\(path): format version \(version) is not supported (this visag reads version "
                + "\(EncryptedConfigHeader.currentVersion))"
        case .unsupportedKeyDerivation(let path, let id):
            "\(path): unknown key derivation \(id) in the header"
        case .badKeyDerivationParameters(let path, let problem):
            "\(path): \(problem)"
        case .truncated(let path, let expected, let found):
            "\(path): truncated: the header announces \(expected) bytes, the file has \(found)"
        case .trailingBytes(let path, let extra):
            "\(path): \(extra) unexpected byte(s) after the end of the encrypted data"
        case .authenticationFailed(let path, let unlockedWith):
            "\(path): cannot decrypt: wrong \(unlockedWith), or the file was modified"
        case .wrongSecretKind(let path, let needs):
            "\(path): this file was encrypted with \(needs)"
        case .keyFile(let path, let problem):
            "key file \(path): \(problem)"
        case .passphrase(let variable, let problem):
            "passphrase variable \(variable): \(problem)"
        case .badSettings(let path, let line, let problem):
            line > 0 ? "\(path): line \(line): \(problem)" : "\(path): \(problem)"
        case .unreadable(let path, let reason):
            "\(path): \(reason)"
        case .writeFailed(let path, let reason):
            "\(path): could not write: \(reason)"
        case .editorFailed(let path, let reason):
            "\(path): \(reason); the file is unchanged"
        case .interrupted(let path, let signal):
            "\(path): edit interrupted by signal \(signal); the file is unchanged and the plaintext removed"
        case .crypto(let operation):
            "libcrypto failed to \(operation)"
        }
    }
}
