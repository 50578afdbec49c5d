import Model

/// One hypervisor operation the run carried out on a worker domain.
public struct HypervisorCallRecord: Equatable, Sendable {
    /// Who asked for it.
    public enum Origin: String, Equatable, Sendable {
        /// Model's `.hypervisor` action.
        case model
        /// The driver's start-up revert of a worker Model does not revert itself (crash recovery).
        case recovery
        /// The driver's clean-up revert after a stop or a failure.
        case cleanup
    }

    public let vm: VMID?
    public let domain: String
    /// `revert`, `suspend`, `shutdown` or `clone`.
    public let operation: String
    public let origin: Origin
    public let succeeded: Bool
    /// From the call's start to its completion reaching the loop (queueing included).
    public let wallSeconds: Double
    /// LibvirtError's description when it failed.
    public let error: String?
}
