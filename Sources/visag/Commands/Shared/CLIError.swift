import ArgumentParser
import Sim

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

extension CLIError {
    /// An output that could not be written is a failed run (exit 1); an empty output path is bad input (exit 2).
    init(_ error: OutputError) {
        self = error.isBadInput ? .badInput(error.description) : .runFailed(error.description)
    }
}
