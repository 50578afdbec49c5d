/// Why a real run could not start or carry on. The CLI maps `badInput` to exit 2 and the rest to exit 1.
public enum RealRunError: Error, CustomStringConvertible, Equatable, Sendable {
    /// Options or a scenario the real backend cannot run.
    case badInput(String)
    /// The hypervisor could not be reached.
    case connection(String)
    /// The worker VMs could not be found or made.
    case workers(String)

    public var description: String {
        switch self {
        case .badInput(let message), .connection(let message), .workers(let message): message
        }
    }
}
