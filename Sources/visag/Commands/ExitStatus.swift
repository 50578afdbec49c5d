/// The exit status every subcommand keeps, stated in each one's `--help` (`Visag.main` maps errors to it).
enum ExitStatus {
    static let discussion = """
        Exit status: 0 success; 1 the run failed (an invariant broke where the command checks them, or an \
        output could not be written); 2 bad input (a file, flag or value, named in the message).
        """

    /// `discussion` after a command's own text.
    static func after(_ text: String) -> String { text + "\n\n" + discussion }
}
