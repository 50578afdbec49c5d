import ArgumentParser
import Foundation
import Real

/// `visag config`: encrypted hypervisor configuration files (the report's `popcipher`, with the key kept out of
/// the binary).
struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Encrypts, decrypts and edits hypervisor configuration files (AES-256-GCM).",
        discussion: ExitStatus.help(examples: ["visag config keygen --output hv.key",
                                               "visag config encrypt hv.conf --key-file hv.key --output hv.conf.enc"]),
        subcommands: [ConfigEncryptCommand.self, ConfigDecryptCommand.self, ConfigEditCommand.self,
                      ConfigKeygenCommand.self])

    /// The CLI's error for a configuration error: bad input exits 2, a failed write or edit exits 1.
    static func cliError(_ error: ConfigCryptoError) -> CLIError {
        error.isBadInput ? .badInput(error.description) : .runFailed(error.description)
    }
}

/// `--key-file KEY` or `--passphrase-env VAR`, exactly one.
struct ConfigSecretOptions: ParsableArguments {
    @Option(name: .customLong("key-file"),
            help: "Key file: 64 hex characters or 32 bytes, mode 0600 (make one with `visag config keygen`).")
    var keyFile: String?
    @Option(name: .customLong("passphrase-env"),
            help: "Name of an environment variable holding a passphrase (stretched with scrypt).")
    var passphraseEnv: String?

    var source: ConfigSecretSource {
        get throws {
            switch ConfigSecretSource.from(keyFile: keyFile, passphraseEnv: passphraseEnv) {
            case .success(let source): return source
            case .failure(let usage): throw CLIError.badInput(usage.message)
            }
        }
    }

    func load() throws -> ConfigSecret {
        do { return try source.load() } catch let error as ConfigCryptoError { throw ConfigCommand.cliError(error) }
    }
}
