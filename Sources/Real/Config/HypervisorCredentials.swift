/// A username and password for libvirt's authentication questions (from an encrypted hypervisor configuration).
/// Printing or dumping one never shows the password.
public struct HypervisorCredentials: Equatable, Sendable, CustomStringConvertible, CustomReflectable {
    public var username: String?
    public var password: String?

    public init(username: String?, password: String?) {
        self.username = username
        self.password = password
    }

    public var description: String {
        "user \(username ?? "(none)"), password \(password == nil ? "(none)" : "(set)")"
    }

    public var customMirror: Mirror { Mirror(self, children: ["description": description]) }
}
