import Model

/// What the world did that no Model event says: the usual causes of a race. The checker keeps the last few
/// beside Model's events, so a violation's report shows the lease that expired or the message that was lost.
/// They never enter the trace digest (which hashes Model's events alone).
package enum WorldChange: Sendable {
    case leaseExpired(VMID, Address)
    case leaseGranted(VMID, Address)
    case messageLost(Message)
    case messageDuplicated(Message)
    /// The VM's DHCP request went unanswered: its area's server is in an outage.
    case dhcpDown(VMID, area: Int)
    /// A running worker died (an injected fault).
    case vmCrashed(VMID)

    var entities: [EventEntity] {
        switch self {
        case .leaseExpired(let vm, _), .leaseGranted(let vm, _), .dhcpDown(let vm, _), .vmCrashed(let vm):
            return [EventEntity(kind: .vm, id: vm.index)]
        case .messageLost(let m), .messageDuplicated(let m):
            return EventEntity.of(.messageDelivered(m))
        }
    }

    var text: String {
        switch self {
        case .leaseExpired(let vm, let address): "lease of \(address) held by \(vm) expired"
        case .leaseGranted(let vm, let address): "\(address) leased to \(vm)"
        case .messageLost(let m): "\(m.from) → \(m.to)  LOST " + EventText.describe(m.body)
        case .messageDuplicated(let m): "\(m.from) → \(m.to)  DUPLICATED " + EventText.describe(m.body)
        case .dhcpDown(let vm, let area): "\(vm) asked for an address: area \(area)'s DHCP server is down (outage)"
        case .vmCrashed(let vm): "\(vm) crashed (injected fault)"
        }
    }
}

/// A launch that reached another guest than the one Model meant: the address it used and what the DHCP server
/// did with that address, to say why.
package struct StaleLaunch: Sendable {
    package var address: Address
    package var history: LeaseHistory

    /// `: launched at 10.1.0.6 for vm5; that address was leased to vm4 at 49m 54.120s after vm5's lease expired at
    /// 45m 26.664s`.
    func explanation(intended: VMID, ranIn: Int) -> String {
        var text = ": launched at \(address) for \(intended); that address was leased to vm\(ranIn)"
        if history.leasedAtSeconds >= 0 { text += " at \(EventText.time(history.leasedAtSeconds))" }
        if history.previousHolder >= 0 && history.previousExpiredAtSeconds >= 0 {
            text += " after vm\(history.previousHolder)'s lease expired at "
                + EventText.time(history.previousExpiredAtSeconds)
        }
        return text
    }
}
