import ArgumentParser

/// Errors the CLI reports as one line on stderr with the documented exit codes.
enum CLIError: Error, CustomStringConvertible {
    /// Bad input from the user: exit 2.
    case badInput(String)
    /// The run itself failed: exit 1.
    case runFailed(String)

    var description: String {
        switch self {
        case .badInput(let message), .runFailed(let message): message
        }
    }
}
