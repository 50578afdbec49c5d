/// ApplicationEnd (reference flow 6): every node removes the application's jobs, updates its
/// SearchNode and recycles the application's VM by policy; idle VMs are put away after the
/// idle timeout.
extension ControlPlane {
    /// The AppService's destructor: ApplicationEnd(appId, initiator: true).
    mutating func notifyApplicationEnd(_ app: AppID) {
        let a = self.app(app)
        var mainUsed = false
        switch config.endNotification {
        case .targeted:
            // Each node the application used, once, in placement order (no allocation).
            let objects = a.objects()
            for o in objects {
                let node = placementOf[Int(o)]
                guard node != ControlPlane.unplaced else { continue }
                var seen = false
                for earlier in objects.lowerBound..<o where placementOf[Int(earlier)] == node { seen = true; break }
                guard !seen else { continue }
                if node == a.main { mainUsed = true }
                send(.applicationEnded(app, nil), from: a.main, to: node)
            }
            let earlier = earlierRoundNodes.isEmpty ? [] : earlierRoundNodes.removeValue(forKey: app) ?? []
            for node in earlier where !objects.contains(where: { placementOf[Int($0)] == node }) {
                if node == a.main { mainUsed = true }
                send(.applicationEnded(app, nil), from: a.main, to: node)
            }
            // Responders of the last discovery that got no object still keep the requester key.
            if config.mode.usesKeys {
                for node in discoveryResponders[Int(app.index)]
                where node != a.main && !earlier.contains(node) && !objects.contains(where: { placementOf[Int($0)] == node }) {
                    send(.applicationEnded(app, nil), from: a.main, to: node)
                }
            }
        case .flood:
            if !earlierRoundNodes.isEmpty { earlierRoundNodes[app] = nil }
            let request = nodes[Int(a.main.index)].nextRequestID(origin: a.main)
            _ = remember(request, at: a.main)
            applicationEnded(app, at: a.main)
            let path = endPath(.empty, from: a.main)
            forward(.applicationEnded(app, request, explored: path), received: .empty, from: a.main, sender: nil)
        }
        if case .targeted = config.endNotification, !mainUsed {
            if config.mode.usesKeys { nodes[Int(a.main.index)].security.applicationEnded(app) }
        }
    }

    mutating func applicationEndReceived(_ app: AppID, request: RequestID?, explored: WayBack, at node: NodeID,
                                         from sender: NodeID) {
        if let request {
            // Spread with unlimited hops, as discovery requests are. The original's end request skips
            // the request memory; visag drops a copy a node already took (it would only end the
            // application there again) so that sparse graphs do not multiply the copies.
            emit(.report(.discoveryMessage(node)))
            guard remember(request, at: node) else { return }
            let path = endPath(explored, from: node)
            forward(.applicationEnded(app, request, explored: path), received: explored, from: node, sender: sender)
        }
        applicationEnded(app, at: node)
    }

    /// The exploration list an end request leaves `node` with (none when flooding).
    private mutating func endPath(_ explored: WayBack, from node: NodeID) -> WayBack {
        discoveryForwarding == .explorationList ? forwardingPath(explored, from: node) : .empty
    }

    mutating func applicationEnded(_ app: AppID, at node: NodeID) {
        var removed: Int32 = 0
        // Without the mutex, a Prepare VM in flight keeps its objects and launches them anyway.
        let preparationsRace = config.fidelity.has(.applicationEndWithoutMutex)
        for o in apps[Int(app.index)].objects() where objects[Int(o)].hostNode == node {
            switch objects[Int(o)].host {
            case .waitingForVM where preparationsRace, .writingKey where preparationsRace:
                removed += 1
            case .reserved, .waitingForVM, .writingKey, .launching, .running, .failed, .finished:
                if objects[Int(o)].host == .running || objects[Int(o)].host == .launching {
                    emit(.killObject(ObjectID(Int(o)), on: node, vm: objects[Int(o)].vm))
                }
                if objects[Int(o)].host == .waitingForVM, let vmID = objects[Int(o)].vm {
                    unlinkWaiting(ObjectID(Int(o)), from: vmID)
                }
                objects[Int(o)].host = .released
                removed += 1
            case .none, .released:
                break
            }
        }
        if config.mode.usesKeys { nodes[Int(node.index)].security.applicationEnded(app) }
        guard removed > 0 || vmReserved(for: app, on: node) != nil else { return }
        nodes[Int(node.index)].jobs -= removed
        // One removeJob call for the whole application (report §6.1).
        if removed > 0 { searchNodeRemoveJobs(node, app: app, count: removed) }
        guard config.mode.usesWorkerVMs, let vmID = vmReserved(for: app, on: node) else {
            brokerNotify(node: node, jobs: removed, vms: 0)
            return
        }
        // A duplicate end (a flooded copy the request memory forgot) while the recycle runs: already handled.
        if vms[Int(vmID.index)].maintenance?.purpose == .recycle(app) { return }
        vms[Int(vmID.index)].jobs = 0
        pendingReleasedJobs[Int(vmID.index)] = removed
        if vms[Int(vmID.index)].preparation != nil && !config.fidelity.has(.applicationEndWithoutMutex) {
            // The mutex: wait until the preparation's current step returns.
            vms[Int(vmID.index)].endPending = true
            return
        }
        if vms[Int(vmID.index)].maintenance != nil {
            // A start-up revert still in flight (objects reserved during start-up wait for it):
            // wait for it in every mode. Recycling now would replace its ticket, so its completion
            // would be ignored and the node's start-up flow (and start-up cloning) would never finish.
            vms[Int(vmID.index)].endPending = true
            return
        }
        recycle(vmID, endOf: app)
    }

    /// Starts the recycle action; the VM is freed when it completes.
    mutating func recycle(_ vmID: VMID, endOf app: AppID) {
        vms[Int(vmID.index)].readyFor = nil
        vms[Int(vmID.index)].requesterKeyFor = nil
        vms[Int(vmID.index)].requesterKeyInFlight = false
        vms[Int(vmID.index)].endPending = false
        let operation: HypervisorOperation
        switch config.recycle {
        case .revert:
            // A VM the application never woke (suspended or off, still clean) may be resumed or booted instead.
            operation = vms[Int(vmID.index)].power == .running ? .revert : wakeOperation(vmID)
        case .suspend: operation = .suspend
        case .shutdown: operation = .shutdown
        }
        let ticket = vms[Int(vmID.index)].nextTicket()
        vms[Int(vmID.index)].maintenance = WorkerVM.Maintenance(operation: operation, ticket: ticket, purpose: .recycle(app))
        startHypervisor(vmID, operation, ticket: ticket)
    }

    mutating func finishPendingEnd(_ vmID: VMID) {
        guard case .application(let app) = vms[Int(vmID.index)].holder else { preconditionFailure("end pending on \(vmID) with no application") }
        recycle(vmID, endOf: app)
    }

    /// A maintenance operation (recycle, start-up revert, idle put-away) completed.
    mutating func maintenanceFinished(_ vmID: VMID, _ maintenance: WorkerVM.Maintenance, succeeded: Bool) {
        vms[Int(vmID.index)].maintenance = nil
        if succeeded {
            switch maintenance.operation {
            case .revert, .boot, .resume:
                poweredOn(vmID, by: maintenance.operation)
            case .suspend:
                vms[Int(vmID.index)].power = .suspended
            case .shutdown:
                vms[Int(vmID.index)].power = .off
            case .clone:
                preconditionFailure("clone is not a maintenance operation")
            }
            vms[Int(vmID.index)].address = nil
        }
        // A VM whose recycle failed is unknown: the next preparation reverts it.
        if !succeeded {
            vms[Int(vmID.index)].power = .off
            vms[Int(vmID.index)].cleanSinceRevert = false
        }
        let node = vms[Int(vmID.index)].node
        if !succeeded, case .recycle(let app) = maintenance.purpose, let retry = config.recycleRetrySeconds,
           vms[Int(vmID.index)].holder == .application(app) {
            // Fail closed: a VM whose recycle failed may still run with the application's keys.
            let ticket = vms[Int(vmID.index)].nextTicket()
            emit(.startTimer(.recycleRetry(vmID, ticket: ticket), afterSeconds: retry))
            return
        }
        switch maintenance.purpose {
        case .recycle:
            if case .application = vms[Int(vmID.index)].holder {
                setHolder(vmID, .free)
                emit(.report(.vmFreed(vmID)))
            }
            let jobs = pendingReleasedJobs[Int(vmID.index)]
            pendingReleasedJobs[Int(vmID.index)] = 0
            brokerNotify(node: node, jobs: jobs, vms: 1)
        case .startup:
            startupRevertFinished(on: node)
        case .idle:
            break
        }
        // An ApplicationEnd that waited for this operation recycles now.
        if vms[Int(vmID.index)].endPending, vms[Int(vmID.index)].preparation == nil,
           case .application = vms[Int(vmID.index)].holder {
            return finishPendingEnd(vmID)
        }
        // Objects reserved while the operation ran have waited for it.
        if case .application(let app) = vms[Int(vmID.index)].holder, vms[Int(vmID.index)].waitingHead >= 0, vms[Int(vmID.index)].preparation == nil {
            beginPreparation(vmID, for: app)
        }
        vmBecameAvailable(vmID)
    }

    /// The pause after a failed recycle is over: recycle again, unless something else (an admin
    /// restart, a power change) has dealt with the VM since.
    mutating func recycleRetryDue(_ vmID: VMID, ticket: UInt32) {
        let vm = vms[Int(vmID.index)]
        guard vm.ticketCounter == ticket, vm.maintenance == nil, vm.preparation == nil,
              case .application(let app) = vm.holder, apps[Int(app.index)].isFinished else {
            ignoredEvents += 1
            return
        }
        recycle(vmID, endOf: app)
    }

    /// The VM stopped (or started) without Model asking: forget what was prepared in it, so
    /// the next Prepare VM reverts it.
    mutating func vmPowerObserved(_ vmID: VMID, _ power: PowerState) {
        vms[Int(vmID.index)].power = power
        // Someone else acted on the VM: it is not known clean any more.
        vms[Int(vmID.index)].cleanSinceRevert = false
        guard power != .running else { return }
        vms[Int(vmID.index)].forgetPreparedGuest()
    }

    /// A free VM: serve clone requests and start its idle clock.
    mutating func vmBecameAvailable(_ vmID: VMID) {
        guard vms[Int(vmID.index)].holder == .free, vms[Int(vmID.index)].maintenance == nil else { return }
        if vms[Int(vmID.index)].power == .running, let idle = config.idleTimeoutSeconds {
            vms[Int(vmID.index)].idleGeneration &+= 1
            emit(.startTimer(.idleTimeout(vmID, generation: vms[Int(vmID.index)].idleGeneration), afterSeconds: idle))
        }
    }

    mutating func idleTimedOut(_ vmID: VMID, generation: UInt32) {
        let vm = self.vm(vmID)
        guard vm.idleGeneration == generation, vm.isAvailable, vm.power == .running else { return }
        let operation: HypervisorOperation = config.idleAction == .suspend ? .suspend : .shutdown
        let ticket = vms[Int(vmID.index)].nextTicket()
        vms[Int(vmID.index)].maintenance = WorkerVM.Maintenance(operation: operation, ticket: ticket, purpose: .idle)
        emit(.hypervisor(vmID, operation, ticket: ticket))
    }
}
