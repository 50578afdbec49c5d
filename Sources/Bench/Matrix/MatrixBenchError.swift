/// Why the matrix benchmark stopped. The CLI turns `badInput` into exit 2 and `failed` into exit 1.
public enum MatrixBenchError: Error, CustomStringConvertible, Equatable {
    /// A flag or combination the benchmark refuses before starting anything.
    case badInput(String)
    /// Something went wrong while running: a worker died, a channel broke, a product was wrong.
    case failed(String)

    public var description: String {
        switch self {
        case .badInput(let message), .failed(let message): message
        }
    }
}
