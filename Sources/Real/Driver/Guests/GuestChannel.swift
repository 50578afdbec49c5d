import Model

/// The worker VM a guest-side call is about. Enough for the in-process channel; a channel that talks to a real
/// guest finds what else it needs (e.g. a host port forwarded to the guest's SSH) from the domain name.
public struct GuestTarget: Hashable, Sendable, CustomStringConvertible {
    public let vm: VMID
    public let node: NodeID
    /// `k` in `node<i>_worker<k>`.
    public let ordinal: Int32
    public let domainName: String

    public init(vm: VMID, node: NodeID, ordinal: Int32, domainName: String) {
        self.vm = vm
        self.node = node
        self.ordinal = ordinal
        self.domainName = domainName
    }

    public var description: String { domainName }
}

/// An IPv4 address as a guest reports it.
public struct GuestAddress: Hashable, Sendable, CustomStringConvertible {
    public let raw: UInt32

    public init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) {
        raw = UInt32(a) << 24 | UInt32(b) << 16 | UInt32(c) << 8 | UInt32(d)
    }

    /// 127.0.0.0/8: an address on this machine.
    public var isLoopback: Bool { raw >> 24 == 127 }

    public var description: String {
        "\(raw >> 24).\((raw >> 16) & 0xff).\((raw >> 8) & 0xff).\(raw & 0xff)"
    }

    /// Model compares addresses only; it keeps the 32 bits as they are. (Model's own `description` prints every
    /// address as if it were in 10/8, so logs use this type's.) nil for 0.0.0.0, which Model reserves.
    public var modelAddress: Address? { raw == 0 ? nil : Address(raw) }
}

/// One key for a worker's `authorized_keys`: what Model asked for and the public key that stands for it.
public struct GuestKeyWrite: Equatable, Sendable {
    public let write: KeyWrite
    /// An OpenSSH public key line: `ssh-ed25519 <base64> <comment>`.
    public let publicKey: String

    public init(write: KeyWrite, publicKey: String) {
        self.write = write
        self.publicKey = publicKey
    }

    /// The line the guest's `authorized_keys` gets: the key behind the SSH restrictions (report §2.12).
    public var authorizedKeysLine: String { write.restrictions.authorizedKeysLine(for: publicKey) }
}

/// What the hypervisor just did to a guest, for a channel that keeps state per guest (cached connections, host
/// keys, or, in process, the guest's files).
public enum GuestReset: Equatable, Sendable {
    /// Back to the clean snapshot: the guest's disk and memory are the snapshot's.
    case reverted
    case suspended
    case poweredOff
    /// Powered on from off as its disk is: the guest keeps whatever it held (only a revert takes keys away).
    case booted
    /// Back from suspended with its memory: the guest keeps whatever it held, its address may be stale.
    case resumed
    /// The guest is a new clone of `source`: its disk is a copy of the source's, taken as its clean snapshot.
    case clonedFrom(GuestTarget)
}

/// The guest-side work of Prepare VM (report §5.5, §5.8): read the address, fetch the VM's own key, append a key
/// to `authorized_keys`.
///
/// The driver calls these on its work pool, never on its loop, so an implementation may block (an SSH session to
/// a guest behind a 127.0.0.1 host forward, waiting for the guest's agent). Calls for one VM never overlap and
/// come in the order Model asked for them; calls for different VMs may run at the same time. A thrown error is
/// logged as one line by the driver.
public protocol GuestChannel: AnyObject, Sendable {
    /// The guest's current address; nil if it has none (Model then fails the preparation).
    func obtainAddress(of guest: GuestTarget, renewal: DHCPRenewal) throws -> GuestAddress?
    /// The VM's own public key (fetched once per VM by Model's design).
    func fetchVMKey(of guest: GuestTarget) throws -> String
    /// Appends `key.authorizedKeysLine` to the guest's `authorized_keys` and reads the file back: returns the
    /// keys written since the guest's last revert (this one included) whose lines it holds now, which is what the
    /// invariant checker takes the guest to hold.
    @discardableResult
    func writeKey(_ key: GuestKeyWrite, to guest: GuestTarget) throws -> [KeyWrite]
    /// Called after a hypervisor operation on `guest` succeeded, before any later call about it.
    func hypervisorDidReset(_ guest: GuestTarget, _ reset: GuestReset)
}
