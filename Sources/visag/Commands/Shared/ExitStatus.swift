/// The exit status every subcommand keeps, stated in each one's `--help` (`Visag.main` maps errors to it).
enum ExitStatus {
    static let discussion = """
        Exit status: 0 success; 1 the run failed (an invariant broke where the command checks them, or an \
        output could not be written); 2 bad input (a file, flag or value, named in the message).
        """

    /// `discussion` after a command's own text.
    static func after(_ text: String) -> String { text + "\n\n" + discussion }

    /// A command's help: its own text, then its examples (command lines that work from the repository's root),
    /// then `discussion`.
    static func help(_ text: String? = nil, examples: [String]) -> String {
        precondition(!examples.isEmpty && examples.allSatisfy { $0.hasPrefix("visag ") },
                     "every command's help shows at least one visag command line")
        let block = (examples.count == 1 ? "Example:" : "Examples:") + examples.map { "\n  " + $0 }.joined()
        return (text.map { $0 + "\n\n" } ?? "") + block + "\n\n" + discussion
    }
}
