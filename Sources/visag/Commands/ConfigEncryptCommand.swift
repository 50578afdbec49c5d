import ArgumentParser
import Real

struct ConfigEncryptCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "encrypt",
        abstract: "Encrypts a file (or standard input, -) into --out, written atomically with mode 0600.",
        discussion: ExitStatus.discussion)

    @Argument(help: "The plaintext file, or - for standard input.")
    var file: String
    @Option(help: "The encrypted file to write (a regular file is replaced atomically; a symlink is followed and kept, a device such as /dev/stdout written through).")
    var out: String
    @OptionGroup var secret: ConfigSecretOptions

    func run() throws {
        let secret = try secret.load()
        if case .passphrase(let passphrase) = secret, passphrase.count < ConfigSecret.minimumPassphraseByteCount {
            throw CLIError.badInput("passphrase variable \(self.secret.passphraseEnv ?? ""): shorter than "
                                    + "\(ConfigSecret.minimumPassphraseByteCount) characters")
        }
        do throws(ConfigCryptoError) {
            let plaintext = try EncryptedConfig.readPlaintext(path: file)
            try EncryptedConfig.encryptFile(plaintext, to: out, with: secret)
        } catch {
            throw ConfigCommand.cliError(error)
        }
    }
}
