import ArgumentParser
import Foundation
import Real

struct ConfigEditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "edit",
        abstract: "Edits an encrypted file in $VISUAL or $EDITOR (default vi); re-encrypts only if it changed.",
        discussion: ExitStatus.help("""
            The plaintext is kept in a 0600 file in a private temporary directory (in /dev/shm when available) \
            that is removed when the editor exits, on error, and on SIGTERM or SIGHUP (the edit is then \
            abandoned, exit 143 or 129).
            """, examples: ["visag config edit hv.conf.enc --key-file hv.key"]))

    @Argument(help: "The encrypted file.")
    var file: String
    @OptionGroup var secret: ConfigSecretOptions

    func run() throws {
        let secret = try secret.load()
        do throws(ConfigCryptoError) {
            switch try EncryptedConfigEdit.edit(path: file, with: secret) {
            case .unchanged: FileHandle.standardError.write(Data("\(file): unchanged\n".utf8))
            case .rewritten: FileHandle.standardError.write(Data("\(file): re-encrypted\n".utf8))
            }
        } catch {
            if case .interrupted(_, let signal) = error {
                FileHandle.standardError.write(Data("visag: \(error.description)\n".utf8))
                throw ExitCode(128 + signal)
            }
            throw ConfigCommand.cliError(error)
        }
    }
}
