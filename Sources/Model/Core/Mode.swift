/// The four builds of POP-C++ (report §5.1).
public enum Mode: String, CaseIterable, Sendable {
    case standard
    case secure
    case virtual
    case virtualSecure = "virtual-secure"

    /// Worker VMs run the objects; the admin VM prepares them.
    public var usesWorkerVMs: Bool { self == .virtual || self == .virtualSecure }
    /// SSH tunnels and key routing through the security managers.
    public var usesKeys: Bool { self == .secure || self == .virtualSecure }

    /// standard and virtual interoperate; secure and virtual-secure interoperate; the groups do not.
    public func interoperates(with other: Mode) -> Bool { usesKeys == other.usesKeys }
}
