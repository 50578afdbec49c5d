import ArgumentParser
import Foundation
import Real

struct ConfigDecryptCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decrypt",
        abstract: "Decrypts a file to standard output (nothing is printed unless the whole file verifies).",
        discussion: ExitStatus.help(examples: ["visag config decrypt hv.conf.enc --key-file hv.key"]))

    @Argument(help: "The encrypted file.")
    var file: String
    @OptionGroup var secret: ConfigSecretOptions

    func run() throws {
        let secret = try secret.load()
        let plaintext: SecretBytes
        do throws(ConfigCryptoError) {
            plaintext = try EncryptedConfig.decryptFile(at: file, with: secret)
        } catch {
            throw ConfigCommand.cliError(error)
        }
        // Straight from the secret buffer to the descriptor: no String or Data copy is left behind.
        let failure = plaintext.withUnsafeBytes { bytes -> Int32 in
            var offset = 0
            while offset < bytes.count {
                let written = write(STDOUT_FILENO, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                offset += written
            }
            return 0
        }
        if failure != 0 { throw CLIError.runFailed("standard output: \(String(cString: strerror(failure)))") }
    }
}
