import ArgumentParser
import Real

struct ConfigEncryptCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "encrypt",
        abstract: "Encrypts a file (or standard input, -) into --output, written atomically with mode 0600.",
        discussion: ExitStatus.help(examples: ["visag config encrypt hv.conf --key-file hv.key --output hv.conf.enc",
                                               "visag config encrypt - --passphrase-env HV_PASSPHRASE --output hv.conf.enc"]))

    @Argument(help: "The plaintext file, or - for standard input.")
    var file: String
    @Option(help: "The encrypted file to write (required; a regular file is replaced atomically; a symlink is followed and kept, a device such as /dev/stdout written through).")
    var output: String?
    @Option(name: .customLong("out"), help: FileOutputOption.deprecatedHelp)
    var deprecatedOut: String?
    @OptionGroup var secret: ConfigSecretOptions

    func run() throws {
        let out = try FileOutputOption.path(output: output, deprecatedOut: deprecatedOut)
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
