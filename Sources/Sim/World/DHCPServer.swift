import Model

/// One DHCP server per area (report §4.5): a pool of addresses and leases. A running guest
/// keeps its lease; a suspended or powered-off one loses it `leaseSeconds` after it stopped,
/// and the address goes back to the pool, to be handed to the next machine that asks.
struct DHCPServer {
    /// Who holds each address of the pool (index = host part - 1); -1 free.
    private(set) var owner: [Int32]
    /// Freed addresses, reused most recently freed first (the race the report worries about).
    private var freeStack: [Int32]
    /// Per slot: when it was last leased, and who held it before and when that lease expired (-1: never). Only
    /// read to explain a violation (a launch that reached the wrong guest); never decides anything.
    private(set) var history: [LeaseHistory]
    let area: Int

    init(area: Int, poolSize: Int) {
        self.area = area
        owner = Array(repeating: -1, count: poolSize)
        freeStack = (0..<Int32(poolSize)).reversed().map { $0 }
        history = Array(repeating: LeaseHistory(), count: poolSize)
    }

    func history(of address: Address) -> LeaseHistory? {
        slot(of: address).map { history[Int($0)] }
    }

    /// Area a hands out 10.(a+1).x.y: private addresses that exist only inside the simulation.
    func address(_ slot: Int32) -> Address { Address(10 << 24 | UInt32(area + 1) << 16 | UInt32(slot + 1)) }

    func slot(of address: Address) -> Int32? {
        guard address.raw >> 24 == 10, Int((address.raw >> 16) & 0xff) == area + 1 else { return nil }
        let slot = Int32(address.raw & 0xffff) - 1
        return slot >= 0 && Int(slot) < owner.count ? slot : nil
    }

    func holder(of address: Address) -> Int32? {
        guard let slot = slot(of: address) else { return nil }
        let vm = owner[Int(slot)]
        return vm >= 0 ? vm : nil
    }

    /// A lease for `vm`: its current one if it still holds it, else a free address.
    mutating func lease(for vm: Int32, current: Address?, atSeconds: Double = 0) -> Address? {
        if let current, let slot = slot(of: current), owner[Int(slot)] == vm { return current }
        while let slot = freeStack.popLast() {
            guard owner[Int(slot)] == -1 else { continue }
            owner[Int(slot)] = vm
            history[Int(slot)].leasedAtSeconds = atSeconds
            return address(slot)
        }
        return nil
    }

    mutating func expire(_ address: Address, heldBy vm: Int32, atSeconds: Double = 0) {
        guard let slot = slot(of: address), owner[Int(slot)] == vm else { return }
        owner[Int(slot)] = -1
        history[Int(slot)].previousHolder = vm
        history[Int(slot)].previousExpiredAtSeconds = atSeconds
        freeStack.append(slot)
    }
}

/// What a DHCP server remembers of one address, to say why a launch reached the wrong guest.
package struct LeaseHistory: Sendable {
    var leasedAtSeconds: Double = -1
    var previousHolder: Int32 = -1
    var previousExpiredAtSeconds: Double = -1
}
