/// The options written before every key in a worker's `authorized_keys` (report §2.12):
/// tunnelling and the object-run command only.
public struct SSHRestrictions: Equatable, Sendable {
    public var command: String?
    public var allowPortForwarding: Bool
    public var allowPTY: Bool
    public var allowAgentForwarding: Bool
    public var allowX11Forwarding: Bool

    public static let popcObjectRun = SSHRestrictions(
        command: "popcobjrun", allowPortForwarding: true, allowPTY: false,
        allowAgentForwarding: false, allowX11Forwarding: false)

    /// The OpenSSH option string, e.g. `command="popcobjrun",no-pty,no-agent-forwarding,no-X11-forwarding`.
    public var optionString: String {
        var options: [String] = []
        if let command { options.append("command=\"\(command)\"") }
        if !allowPortForwarding { options.append("no-port-forwarding") }
        if !allowPTY { options.append("no-pty") }
        if !allowAgentForwarding { options.append("no-agent-forwarding") }
        if !allowX11Forwarding { options.append("no-X11-forwarding") }
        return options.joined(separator: ",")
    }

    /// One `authorized_keys` line for `publicKey` (e.g. `ssh-ed25519 AAAA… comment`).
    public func authorizedKeysLine(for publicKey: String) -> String {
        let options = optionString
        return options.isEmpty ? publicKey : "\(options) \(publicKey)"
    }
}
