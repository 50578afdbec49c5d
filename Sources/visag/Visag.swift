import ArgumentParser
import BuildInfo
import Foundation
import Sim

@main
struct Visag: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "visag",
        abstract: "A testbed for virtual-secure grids (POP-C++ Virtual-Secure, ViSaG).",
        discussion: ExitStatus.help(examples: ["visag run Scenarios/quickstart.yaml",
                                               "visag check Scenarios/races/dhcp-lease.yaml --seeds 1..20"]),
        version: BuildInfo.versionLine,
        subcommands: [RunCommand.self, CheckCommand.self, ReplayCommand.self, ShrinkCommand.self, SweepGroupCommand.self, MergeCommand.self, ReportCommand.self, BenchCommand.self, ConfigCommand.self, CalibrateCommand.self, ValidateCommand.self,
                      ScenarioCommand.self])

    /// Exit codes: 0 success, 1 the run failed, 2 bad input (flags, files, scenarios).
    static func main() {
        do {
            var command = try parseAsRoot(Shard.expandingBare(Array(CommandLine.arguments.dropFirst())))
            try command.run()
        } catch {
            // Whatever failed, no temporary output file or folder outlives the process (exit runs no deinit).
            OutputFile.removeRegisteredTemporaries()
            exit(after: error)
        }
    }

    static func exit(after error: Error) -> Never {
        switch error {
        case let error as CLIError:
            FileHandle.standardError.write(Data("visag: \(error.description)\n".utf8))
            switch error {
            case .badInput: Foundation.exit(2)
            case .runFailed: Foundation.exit(1)
            }
        case let error as OutputError:
            // An output that could not be written, wherever it was found: exit 1; an empty path is bad input.
            FileHandle.standardError.write(Data("visag: \(error.description)\n".utf8))
            Foundation.exit(error.isBadInput ? 2 : 1)
        case let code as ExitCode:
            Foundation.exit(code.rawValue)
        default:
            let code = exitCode(for: error)
            if code == .success || code.rawValue == 0 { exit(withError: error) }
            FileHandle.standardError.write(Data("visag: \(fullMessage(for: error))\n".utf8))
            Foundation.exit(2)
        }
    }
}
