#if canImport(Glibc)
import Glibc
#endif

/// Where the user said the secret is: `--key-file KEY` or `--passphrase-env VAR`. The secret itself is read
/// only when needed and never kept in this value.
public enum ConfigSecretSource: Equatable, Sendable, CustomStringConvertible {
    case keyFile(path: String)
    case passphraseEnvironment(variable: String)

    /// The source from the two CLI options: exactly one must be given.
    public static func from(keyFile: String?, passphraseEnv: String?) -> Result<Self, ConfigCryptoError.Usage> {
        switch (keyFile, passphraseEnv) {
        case (let path?, nil): .success(.keyFile(path: path))
        case (nil, let variable?): .success(.passphraseEnvironment(variable: variable))
        case (nil, nil): .failure(.init(message: "give --key-file KEY or --passphrase-env VAR"))
        case (_?, _?): .failure(.init(message: "give --key-file or --passphrase-env, not both"))
        }
    }

    public func load() throws(ConfigCryptoError) -> ConfigSecret {
        switch self {
        case .keyFile(let path):
            return .key(try ConfigKeyFile.read(path: path))
        case .passphraseEnvironment(let variable):
            guard !variable.isEmpty, !variable.contains("=") else {
                throw .passphrase(variable: variable, problem: "not a valid environment variable name")
            }
            guard let value = getenv(variable) else { throw .passphrase(variable: variable, problem: "is not set") }
            let length = strlen(value)
            guard length > 0 else { throw .passphrase(variable: variable, problem: "is empty") }
            return .passphrase(SecretBytes(copying: UnsafeRawBufferPointer(start: value, count: length)))
        }
    }

    public var description: String {
        switch self {
        case .keyFile(let path): "key file \(path)"
        case .passphraseEnvironment(let variable): "passphrase in $\(variable)"
        }
    }
}

extension ConfigCryptoError {
    /// A mistake in how the options were combined.
    public struct Usage: Error, Equatable, Sendable {
        public let message: String
    }
}
