import ArgumentParser
import Foundation

/// A file a command writes is `--output FILE`: `--out` names a folder in every subcommand. `--out FILE`, the spelling
/// these commands had before, still works for existing scripts: it is a hidden second option, and using it prints a
/// one-line note on stderr.
enum FileOutputOption {
    /// The hidden option's help: argument-parser cannot hide one name of an option, so the old name is its own option.
    static let deprecatedHelp = ArgumentHelp("Deprecated spelling of --output.", visibility: .hidden)

    /// The file to write: `--output`, or `--out` with the deprecation note. Exactly one of them, not empty.
    static func path(output: String?, deprecatedOut: String?) throws -> String {
        switch (output, deprecatedOut) {
        case (nil, nil):
            throw CLIError.badInput("missing --output FILE")
        case (.some, .some):
            throw CLIError.badInput("--out is the old spelling of --output: give one of them")
        case (let output?, nil):
            return output
        case (nil, let out?):
            FileHandle.standardError.write(Data("visag: --out FILE is deprecated here, use --output FILE (--out names a folder)\n".utf8))
            return out
        }
    }
}
