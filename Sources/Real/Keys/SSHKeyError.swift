/// A key could not be made or written.
public enum SSHKeyError: Error, Equatable, Sendable, CustomStringConvertible {
    /// libcrypto refused an operation that should not fail.
    case libcrypto(operation: String)
    case writeFailed(path: String, reason: String)

    public var description: String {
        switch self {
        case .libcrypto(let operation): "libcrypto failed to \(operation)"
        case .writeFailed(let path, let reason): "\(path): could not write the key: \(reason)"
        }
    }
}
