/// Start-up flow and cloning (reference flows 1 and 7): revert the workers found at start-up,
/// clone as `num_clone` says, clone ahead when few VMs are free, AddClone on success.
extension ControlPlane {
    mutating func gridStarted() {
        for i in 0..<nodes.count {
            let node = NodeID(i)
            guard config.mode.usesWorkerVMs else {
                nodes[i].started = true
                continue
            }
            guard config.revertWorkersAtStartup else {
                startupFinished(on: node)
                continue
            }
            nodes[i].pendingStartupReverts = Int32(nodes[i].vms.count)
            for vmID in nodes[i].vms {
                let ticket = vms[Int(vmID.index)].nextTicket()
                vms[Int(vmID.index)].maintenance = WorkerVM.Maintenance(operation: .revert, ticket: ticket,
                                                                        purpose: .startup)
                startHypervisor(vmID, .revert, ticket: ticket)
            }
        }
    }

    mutating func startupRevertFinished(on node: NodeID) {
        nodes[Int(node.index)].pendingStartupReverts -= 1
        if nodes[Int(node.index)].pendingStartupReverts == 0 { startupFinished(on: node) }
    }

    mutating func startupFinished(on node: NodeID) {
        nodes[Int(node.index)].started = true
        let config = nodes[Int(node.index)].config
        let existing = existingVMCount(on: node)
        let room = max(0, config.maxVMs - existing)
        let clones: Int32
        switch config.startupCloning {
        case .off:
            clones = 0
        case .count(let wanted):
            // Both builds cap a user-set count at the room left under maxvm.
            clones = min(wanted, room)
        case .keepAheadPlusOne:
            clones = keepAheadClones(existing: existing, maxVMs: config.maxVMs)
        }
        // The first worker is the usual source, unless an application reserved it during start-up.
        guard clones > 0, let source = firstFreeVM(on: node) else { return }
        for _ in 0..<clones { requestClone(from: source, on: node) }
    }

    /// `num_clone < 0`: clone up to `threshold + 1` workers (the original's ADVANCE_VM + 1), never
    /// past maxvm. The 2012 code, when the wanted count would pass maxvm, clones the overshoot
    /// (`wanted + existing - maxvm`) instead of the room left (`maxvm - existing`): fewer clones
    /// than room when the overshoot is smaller, workers beyond maxvm when it is larger.
    func keepAheadClones(existing: Int32, maxVMs: Int32) -> Int32 {
        guard existing < maxVMs else { return 0 }
        let wanted = config.cloneAheadThreshold + 1 - existing
        guard wanted > 0 else { return 0 }
        guard wanted + existing > maxVMs else { return wanted }
        return config.fidelity.has(.startupCloneIgnoresMaxVM) ? wanted + existing - maxVMs : maxVMs - existing
    }

    /// Clone-ahead after a reservation: fewer than `threshold` free VMs and fewer than `maxvm`.
    mutating func cloneAheadIfNeeded(on node: NodeID) {
        guard !config.fidelity.has(.cloneAheadNeverFires), config.cloneAheadThreshold > 0,
              nodes[Int(node.index)].cloner.isIdle else { return }
        let free = freeVMCount(on: node)
        guard free < config.cloneAheadThreshold, existingVMCount(on: node) < nodes[Int(node.index)].config.maxVMs,
              let source = firstFreeVM(on: node) else { return }
        requestClone(from: source, on: node)
    }

    /// The source is held by the cloner until its last clone ends.
    mutating func requestClone(from source: VMID, on node: NodeID) {
        let ordinal = Int32(nodes[Int(node.index)].vms.count + 1)
        let target = addVM(on: node, ordinal: ordinal, holder: .beingCloned, power: .off)
        switch vms[Int(source.index)].holder {
        case .free:
            setHolder(source, .cloneSource(clones: 1))
        case .cloneSource(let clones):
            setHolder(source, .cloneSource(clones: clones + 1))
        case .application, .beingCloned, .discarded:
            preconditionFailure("clone source \(source) is \(vms[Int(source.index)].holder)")
        }
        emit(.report(.cloneStarted(source: source, target: target)))
        emit(.defineVM(target, on: node, ordinal: ordinal))
        if case .startClone(let s, let t) = nodes[Int(node.index)].cloner.cloneRequested(source: source, target: target) {
            startClone(source: s, target: t)
        }
    }

    private mutating func startClone(source: VMID, target: VMID) {
        let ticket = vms[Int(source.index)].nextTicket()
        emit(.hypervisor(source, .clone(target: target), ticket: ticket))
    }

    mutating func cloneFinished(source: VMID, target: VMID, succeeded: Bool) {
        let node = vms[Int(source.index)].node
        guard let running = nodes[Int(node.index)].cloner.current, running.source == source, running.target == target,
              vms[Int(target.index)].holder == .beingCloned else {
            // A clone the cloner no longer knows (its admin VM restarted meanwhile): nobody's now.
            ignoredEvents += 1
            return
        }
        emit(.report(.cloneFinished(target: target, succeeded: succeeded)))
        vms[Int(source.index)].power = .off
        // A clone copies the source's disk and changes nothing in it; after a failure the source is unknown.
        if !succeeded { vms[Int(source.index)].cleanSinceRevert = false }
        if succeeded {
            // AddClone: the clone joins as FREE.
            setHolder(target, .free)
            vms[Int(target.index)].power = .off
            if case .central(let broker) = config.placement {
                send(.vmAdded(node: node, sequence: nodes[Int(node.index)].nextBrokerSequence()), from: node, to: broker)
            }
            releaseCloneSource(source)
            vmBecameAvailable(target)
        } else {
            setHolder(target, .discarded)
            // Faithful: no callback, so the source is never given back.
            if !config.fidelity.has(.cloneFailureNeverCallsBack) { releaseCloneSource(source) }
        }
        if case .startClone(let s, let t) = nodes[Int(node.index)].cloner.cloneEnded(target: target) {
            startClone(source: s, target: t)
        }
    }

    private mutating func releaseCloneSource(_ source: VMID) {
        guard case .cloneSource(let clones) = vms[Int(source.index)].holder else {
            preconditionFailure("\(source) is not a clone source")
        }
        if clones > 1 {
            setHolder(source, .cloneSource(clones: clones - 1))
        } else {
            setHolder(source, .free)
            emit(.report(.vmFreed(source)))
            vmBecameAvailable(source)
        }
    }

    /// Routes a hypervisor completion to the preparation, clone or maintenance that asked for it.
    mutating func hypervisorFinished(_ vmID: VMID, _ operation: HypervisorOperation, ticket: UInt32, succeeded: Bool) {
        if case .clone(let target) = operation {
            return cloneFinished(source: vmID, target: target, succeeded: succeeded)
        }
        let v = Int(vmID.index)
        if let prep = vms[v].preparation, prep.ticket == ticket {
            switch (prep.step, operation) {
            case (.reverting, .revert), (.waking, .boot), (.waking, .resume):
                return preparationPoweredOn(vmID, by: operation, succeeded: succeeded)
            default:
                // A completion carrying the preparation's ticket for an operation it did not ask for.
                ignoredEvents += 1
                return
            }
        }
        if let maintenance = vms[v].maintenance, maintenance.ticket == ticket {
            return maintenanceFinished(vmID, maintenance, succeeded: succeeded)
        }
        ignoredEvents += 1
    }
}
