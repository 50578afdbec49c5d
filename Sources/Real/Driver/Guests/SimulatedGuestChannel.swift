import Model
import Sim

/// The guest channel for hypervisors with no guest inside (libvirt's test driver): every guest lives in this
/// process as a little state, and nothing is ever sent anywhere.
///
/// Addresses are loopback addresses, `127.0.<node>.<ordinal>` (`127.<node / 256>.<node % 256>.<ordinal>` past node
/// 255): never the test driver's made-up 192.168.x addresses. A guest past ordinal 255 gets no address, and
/// Model fails its preparation. `authorized_keys` is kept per guest and follows the hypervisor: a revert restores
/// the clean snapshot's lines, a clone starts with a copy of its source's.
///
/// `@unchecked Sendable`: `state` is read and written only under its lock (`Locked`).
public final class SimulatedGuestChannel: GuestChannel, @unchecked Sendable {
    /// One line written to a guest, in the order the writes happened.
    public struct KeyWriteEntry: Equatable, Sendable {
        public let guest: GuestTarget
        public let key: GuestKeyWrite
        public var line: String { key.authorizedKeysLine }
    }

    private struct GuestState {
        var authorizedKeys: [String] = []
        var snapshotKeys: [String] = []
        /// What Model wrote behind the lines of `authorizedKeys` and `snapshotKeys`.
        var held: [KeyWrite] = []
        var snapshotHeld: [KeyWrite] = []
    }

    private struct State {
        var guests: [VMID: GuestState] = [:]
        var writes: [KeyWriteEntry] = []
        var addressReads = 0
        var keyFetches = 0
    }

    private let state = Locked(State())

    public init() {}

    public func obtainAddress(of guest: GuestTarget, renewal: DHCPRenewal) throws -> GuestAddress? {
        state.withLock { $0.addressReads += 1 }
        // Every renewal policy gets the same answer: in process, a lease never moves.
        switch renewal {
        case .none, .renew, .reversePing: break
        }
        return Self.address(of: guest)
    }

    public func fetchVMKey(of guest: GuestTarget) throws -> String {
        state.withLock { $0.keyFetches += 1 }
        return KeyIdentity.vmKey(domainName: guest.domainName)
    }

    @discardableResult
    public func writeKey(_ key: GuestKeyWrite, to guest: GuestTarget) throws -> [KeyWrite] {
        state.withLock { state in
            // Without a shell `>>` reaches `cat` as an argument: the call returns and nothing is appended.
            if key.write.installs {
                state.guests[guest.vm, default: GuestState()].authorizedKeys.append(key.authorizedKeysLine)
                state.guests[guest.vm, default: GuestState()].held.append(key.write)
            }
            state.writes.append(KeyWriteEntry(guest: guest, key: key))
            return state.guests[guest.vm]?.held ?? []
        }
    }

    public func hypervisorDidReset(_ guest: GuestTarget, _ reset: GuestReset) {
        state.withLock { state in
            switch reset {
            case .reverted:
                var guestState = state.guests[guest.vm] ?? GuestState()
                guestState.authorizedKeys = guestState.snapshotKeys
                guestState.held = guestState.snapshotHeld
                state.guests[guest.vm] = guestState
            case .suspended, .poweredOff, .booted, .resumed:
                // Only a revert changes what the guest's disk holds.
                break
            case .clonedFrom(let source):
                // The clean snapshot of a clone is taken right after the copy: whatever the source's disk held.
                let copied = state.guests[source.vm]?.authorizedKeys ?? []
                let held = state.guests[source.vm]?.held ?? []
                state.guests[guest.vm] = GuestState(authorizedKeys: copied, snapshotKeys: copied, held: held,
                                                    snapshotHeld: held)
            }
        }
    }

    // MARK: What the guests hold

    public func authorizedKeys(of vm: VMID) -> [String] {
        state.withLock { $0.guests[vm]?.authorizedKeys ?? [] }
    }

    public var keyWrites: [KeyWriteEntry] { state.withLock { $0.writes } }
    public var addressReads: Int { state.withLock { $0.addressReads } }
    public var keyFetches: Int { state.withLock { $0.keyFetches } }

    /// `127.0.<node>.<ordinal>`, or nil when the guest does not fit in 127.0.0.0/8 that way.
    public static func address(of guest: GuestTarget) -> GuestAddress? {
        let node = guest.node.index
        guard node >= 0, node < 65_536, guest.ordinal >= 1, guest.ordinal <= 255 else { return nil }
        return GuestAddress(127, UInt8(node >> 8), UInt8(node & 0xff), UInt8(guest.ordinal))
    }
}
