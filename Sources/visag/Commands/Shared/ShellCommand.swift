import Foundation

/// A command line the user can paste: `visag …` when visag was run as installed, `swift run visag …` when it was
/// run from a package's build folder, every argument quoted for a POSIX shell where it needs to be.
enum ShellCommand {
    static func visag(_ arguments: [String]) -> String {
        (invocation + arguments.map(quote)).joined(separator: " ")
    }

    static var invocation: [String] {
        let program = CommandLine.arguments.first ?? "visag"
        return program.split(separator: "/").contains(".build") ? ["swift", "run", "visag"] : ["visag"]
    }

    static func quote(_ argument: String) -> String {
        let plain = CharacterSet(charactersIn:
            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%")
        if !argument.isEmpty && argument.unicodeScalars.allSatisfy(plain.contains) { return argument }
        return "'" + argument.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
