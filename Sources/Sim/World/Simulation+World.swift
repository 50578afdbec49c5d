import Model

/// The simulated world's reaction to Model's effects: power states, DHCP leases and the
/// guest's view of its address.
extension Simulation {
    mutating func defineWorldVM(_ index: Int32, node: NodeID) {
        let area = Int32(scenario.areaOfNode[Int(node.index)])
        var vm = SimulatedVM(node: node.index, area: area)
        vm.reservedSince = -1
        // Until a clone copies its source's disk, a worker's host key is its own.
        vm.hostKey = index
        // The clean snapshot was taken with a lease; the server still holds it for now.
        let address = dhcp[Int(area)].lease(for: index, current: nil)
        vm.snapshotAddress = address
        vm.guestAddress = address
        vm.leasedAddress = address
        precondition(Int(index) == worldVMs.count, "VMs are defined in order")
        worldVMs.append(vm)
        if memory.isModelled { memory.vmDefined(node: Int(node.index)) }
        checker.vmDefined()
        scheduleLeaseExpiry(index)
    }

    /// Updates the world before Model sees a hypervisor completion.
    mutating func observe(_ event: Event) {
        if case .objectFinished(let object, _) = event { return objectStopped(object) }
        guard case .hypervisorFinished(let vmID, let operation, _, let succeeded) = event, succeeded else { return }
        let i = Int(vmID.index)
        switch operation {
        case .revert:
            powerChanged(i, to: .running)
            checker.reverted(i)
            // The clean snapshot was taken with the admin VM's key installed (as the guest image is built).
            worldVMs[i].holdsAdminKey = true
            if !worldVMs[i].requesterKeyApps.isEmpty { worldVMs[i].requesterKeyApps.removeAll(keepingCapacity: true) }
            worldVMs[i].guestAddress = worldVMs[i].snapshotAddress
            let area = Int(worldVMs[i].area)
            if let snapshot = worldVMs[i].snapshotAddress, dhcp[area].holder(of: snapshot) == vmID.index {
                worldVMs[i].leasedAddress = snapshot
            } else {
                // The snapshot's lease is gone: the guest's own client notices later (report §4.5).
                scheduleGuestRenewal(i)
            }
        case .resume:
            // The guest goes on with the address it had (no revert: the checker does not count it as cleaning);
            // a lease that expired while it slept is renewed by its own client later (report §4.5).
            powerChanged(i, to: .running)
            if !holdsLease(i) { scheduleGuestRenewal(i) }
        case .boot:
            // The guest's DHCP client asks for its previous address while booting and gets it back if nobody
            // took it meanwhile, else a new one; with the area's server down it keeps the old one for now.
            powerChanged(i, to: .running)
            let area = Int(worldVMs[i].area)
            if FaultSettings.any(scenario.faults.dhcpOutages, cover: area, at: engine.now) {
                if !holdsLease(i) { scheduleGuestRenewal(i) }
            } else {
                renewLease(i, area: area)
            }
        case .suspend:
            powerChanged(i, to: .suspended)
        case .shutdown:
            powerChanged(i, to: .off)
        case .clone(let target):
            powerChanged(i, to: .off)
            // The clone's disk carries the source's snapshot, lease included, and its host keys,
            // unless they are regenerated (the clone keeps the identity its definition gave it).
            let t = Int(target.index)
            worldVMs[t].snapshotAddress = worldVMs[i].snapshotAddress
            if scenario.grid.fidelity.has(.cloneSharesHostKeys) {
                worldVMs[t].hostKey = worldVMs[i].hostKey
                worldVMs[t].hostKeyShared = true
                worldVMs[i].hostKeyShared = true
            }
        }
    }

    /// The guest's address is leased to it by its area's server.
    // Inlined, as the other queries on `Simulation` and `ControlPlane`: called from a mutating
    // method, a function that is not copies the whole value (2 KB here) to pass it.
    @inline(__always)
    func holdsLease(_ i: Int) -> Bool {
        guard let address = worldVMs[i].guestAddress else { return false }
        return dhcp[Int(worldVMs[i].area)].holder(of: address) == Int32(i)
    }

    /// The guest's own DHCP client notices its lease is gone after a while and asks for a new one.
    mutating func scheduleGuestRenewal(_ i: Int) {
        let area = Int(worldVMs[i].area)
        let delay = scenario.dhcp.guestRenewalDelay.sample(dhcpStreams[area])
        engine.schedule(.guestRenewed(vm: Int32(i), generation: worldVMs[i].powerGeneration), afterSeconds: delay)
    }

    mutating func powerChanged(_ i: Int, to power: PowerState) {
        let was = worldVMs[i].power
        if was == .running && power != .running {
            worldVMs[i].runningSeconds += engine.now - worldVMs[i].runningSince
        } else if was != .running && power == .running {
            worldVMs[i].runningSince = engine.now
        }
        worldVMs[i].power = power
        worldVMs[i].powerGeneration &+= 1
        if memory.isModelled {
            if power == .running { memory.poweredOn(vm: i) } else { memory.stoppedRunning(vm: i) }
        }
        if power != .running { scheduleLeaseExpiry(Int32(i)) }
        if power == .running, scenario.faults.vmCrashesPerHour > 0 {
            let after = Distribution.exponential(mean: 3600 / scenario.faults.vmCrashesPerHour).sample(faultStream)
            engine.schedule(.vmCrashed(vm: Int32(i), generation: worldVMs[i].powerGeneration), afterSeconds: after)
        }
    }

    /// Admission control when a power-on is asked for: a node without room for one more running
    /// worker fails the operation, as a hypervisor does, and Model sees an ordinary failure.
    @inline(__always)
    mutating func admitPowerOn(_ vm: VMID) -> Bool {
        guard memory.isModelled else { return true }
        if memory.admitPowerOn(vm: Int(vm.index)) { return true }
        metrics.memoryRefusals += 1
        return false
    }

    /// The world changed in a way no Model event says: the checker keeps it for its reports, the trace file
    /// gets a line of its own (the digest never sees it).
    mutating func worldChanged(_ change: WorldChange) {
        checker.worldChanged(change, at: engine.now)
        recorder.recordWorld(time: engine.now, change)
    }

    mutating func scheduleLeaseExpiry(_ index: Int32) {
        guard let lease = scenario.dhcp.leaseSeconds, worldVMs[Int(index)].leasedAddress != nil else { return }
        engine.schedule(.leaseExpired(vm: index, generation: worldVMs[Int(index)].powerGeneration), afterSeconds: lease)
    }

    mutating func leaseExpired(vm index: Int32, generation: UInt32) {
        let i = Int(index)
        guard worldVMs[i].powerGeneration == generation, worldVMs[i].power != .running,
              let address = worldVMs[i].leasedAddress else { return }
        dhcp[Int(worldVMs[i].area)].expire(address, heldBy: index, atSeconds: engine.now)
        worldVMs[i].leasedAddress = nil
        worldChanged(.leaseExpired(VMID(i), address))
    }

    mutating func guestRenewed(vm index: Int32, generation: UInt32) {
        let i = Int(index)
        guard worldVMs[i].powerGeneration == generation, worldVMs[i].power == .running else { return }
        let address = dhcp[Int(worldVMs[i].area)].lease(for: index, current: worldVMs[i].leasedAddress,
                                                        atSeconds: engine.now)
        if let address, address != worldVMs[i].leasedAddress {
            worldChanged(.leaseGranted(VMID(i), address))
        }
        worldVMs[i].leasedAddress = address
        worldVMs[i].guestAddress = address
    }

    /// A running worker dies: its objects die with it, it is off, and the hypervisor says so.
    mutating func vmCrashed(vm index: Int32, generation: UInt32) {
        let i = Int(index)
        guard worldVMs[i].powerGeneration == generation, worldVMs[i].power == .running else { return }
        metrics.vmCrashes += 1
        worldChanged(.vmCrashed(VMID(i)))
        for o in objectTimes.indices where objectTimes[o].runningIn == index {
            objectStopped(ObjectID(o))
            engine.schedule(.model(.objectFinished(ObjectID(o), succeeded: false)), afterSeconds: 0)
        }
        powerChanged(i, to: .off)
        engine.schedule(.model(.vmPowerObserved(VMID(i), .off)), afterSeconds: 0)
    }

    /// A key write reached the guest's `authorized_keys`.
    mutating func keyInstalled(_ vm: VMID, _ write: KeyWrite) {
        let i = Int(vm.index)
        switch write.kind {
        case .admin:
            worldVMs[i].holdsAdminKey = true
        case .requester:
            if let app = write.app, !worldVMs[i].requesterKeyApps.contains(app.index) {
                worldVMs[i].requesterKeyApps.append(app.index)
            }
        case .mainNode, .worker, .node:
            // These keys open no connection the simulation models.
            break
        }
    }

    mutating func obtainAddress(_ vm: VMID, _ renewal: DHCPRenewal, ticket: UInt32) {
        let i = Int(vm.index)
        let area = Int(worldVMs[i].area)
        let delay: Double
        switch renewal {
        case .none:
            delay = guestOperation(vm, scenario.hypervisor.addressRead)
            // A guest without an address asks the area's DHCP server, which answers nothing while it is down.
            if worldVMs[i].guestAddress == nil {
                if !FaultSettings.any(scenario.faults.dhcpOutages, cover: area, at: engine.now) {
                    renewLease(i, area: area)
                } else {
                    worldChanged(.dhcpDown(vm, area: area))
                }
            }
        case .renew:
            delay = scenario.dhcp.renew.draw(from: dhcpStreams[area])
            // A server that is down answers nothing: the guest keeps waiting.
            if FaultSettings.any(scenario.faults.dhcpOutages, cover: area, at: engine.now) {
                worldChanged(.dhcpDown(vm, area: area))
                return
            }
            renewLease(i, area: area)
        case .reversePing:
            delay = scenario.dhcp.reversePing.draw(from: dhcpStreams[area])
            if FaultSettings.any(scenario.faults.dhcpOutages, cover: area, at: engine.now) {
                worldChanged(.dhcpDown(vm, area: area))
                return
            }
            renewLease(i, area: area)
        }
        engine.schedule(.model(.addressObtained(vm, worldVMs[i].guestAddress, ticket: ticket)), afterSeconds: delay)
        metrics.prepareAddress.append(delay)
    }

    private mutating func renewLease(_ i: Int, area: Int) {
        let current = worldVMs[i].leasedAddress ?? worldVMs[i].guestAddress
        let address = dhcp[area].lease(for: Int32(i), current: current, atSeconds: engine.now)
        if let address, address != current { worldChanged(.leaseGranted(VMID(i), address)) }
        worldVMs[i].leasedAddress = address
        worldVMs[i].guestAddress = address
    }
}

extension Simulation {
    /// The object stops running where it ran (finished or killed).
    mutating func objectStopped(_ object: ObjectID) {
        let o = Int(object.index)
        if objectTimes[o].core >= 0 {
            cores.release(core: objectTimes[o].core, bookedUntil: objectTimes[o].computeEnd, now: engine.now)
            objectTimes[o].core = -1
        }
        let ranIn = objectTimes[Int(object.index)].runningIn
        guard ranIn >= 0 else { return }
        objectTimes[Int(object.index)].runningIn = -1
        checker.objectStopped(ranIn: Int(ranIn))
    }

    /// The node whose job accounting an event may change.
    @inline(__always)
    func touchedNode(_ event: Event) -> NodeID? { InvariantChecker.accountingNode(touchedBy: event, in: plane) }
}
