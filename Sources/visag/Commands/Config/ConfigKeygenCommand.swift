import ArgumentParser
import Real

struct ConfigKeygenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Writes a new random 256-bit key file (64 hex characters, mode 0600); never replaces a file.",
        discussion: ExitStatus.help(examples: ["visag config keygen --output hv.key"]))

    @Option(help: "The key file to create (required).")
    var output: String?
    @Option(name: .customLong("out"), help: FileOutputOption.deprecatedHelp)
    var deprecatedOut: String?

    func run() throws {
        let out = try FileOutputOption.path(output: output, deprecatedOut: deprecatedOut)
        guard !out.isEmpty else { throw CLIError.badInput("--output: expected a file path, found nothing") }
        do throws(ConfigCryptoError) { try ConfigKeyFile.generate(to: out) } catch {
            throw ConfigCommand.cliError(error)
        }
    }
}
