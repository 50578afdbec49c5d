import ArgumentParser
import Real

struct ConfigKeygenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Writes a new random 256-bit key file (64 hex characters, mode 0600); never replaces a file.",
        discussion: ExitStatus.discussion)

    @Option(help: "The key file to create.")
    var out: String

    func validate() throws {
        guard !out.isEmpty else { throw ValidationError("--out: expected a file path, found nothing") }
    }

    func run() throws {
        do throws(ConfigCryptoError) { try ConfigKeyFile.generate(to: out) } catch {
            throw ConfigCommand.cliError(error)
        }
    }
}
