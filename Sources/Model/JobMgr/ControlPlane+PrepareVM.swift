/// Execute and Prepare VM (report §5.8, reference flow 4): revert if not running (or, under
/// `WakePolicy.reuseClean`, resume or boot a worker that stayed clean since its last revert), obtain
/// the address, fetch the VM's own key once and route it to the main node, write the requester
/// key and, after a revert, the main node's and the admin's keys; then launch the object.
extension ControlPlane {
    mutating func executeRequested(_ app: AppID, _ object: ObjectID, at node: NodeID) {
        let record = self.object(object)
        if record.hostNode == node, record.host.executed {
            // A duplicate Execute: the first one is being carried out.
            ignoredEvents += 1
            return
        }
        guard record.hostNode == node, record.host == .reserved else {
            // Expired or cancelled meanwhile.
            send(.objectFailed(app, object, .refused), from: node, to: apps[Int(app.index)].main)
            return
        }
        guard config.mode.usesWorkerVMs, let vmID = record.vm else {
            objects[Int(object.index)].vmWasReady = true
            launch(object, on: node, vm: nil)
            return
        }
        let v = Int(vmID.index)
        let ready = vms[v].readyFor == app
        objects[Int(object.index)].vmWasReady = ready
        if ready && config.usesOriginalCreation && vms[v].preparation == nil && vms[v].maintenance == nil
            && !vms[v].requesterKeyInFlight {
            // Every ExecObj runs Prepare VM: the VM runs, so no revert, but the address is read again, the
            // VM's key rerouted and the requester's key written again.
            objects[Int(object.index)].host = .waitingForVM
            appendWaiting(object, to: vmID)
            vms[v].requesterKeyFor = nil
            beginPreparation(vmID, for: app)
        } else if ready && vms[v].preparation == nil {
            objectReadyForKeys(object, vm: vmID)
        } else {
            objects[Int(object.index)].host = .waitingForVM
            appendWaiting(object, to: vmID)
            if vms[v].preparation == nil && vms[v].maintenance == nil { beginPreparation(vmID, for: app) }
        }
    }

    mutating func beginPreparation(_ vmID: VMID, for app: AppID) {
        let ticket = vms[Int(vmID.index)].nextTicket()
        if vms[Int(vmID.index)].power != .running {
            let operation = wakeOperation(vmID)
            let step: PrepareStep = operation == .revert ? .reverting : .waking
            vms[Int(vmID.index)].preparation = Preparation(app: app, step: step, ticket: ticket,
                                                           reverted: operation == .revert)
            startHypervisor(vmID, operation, ticket: ticket)
        } else {
            vms[Int(vmID.index)].preparation = Preparation(app: app, step: .obtainingAddress, ticket: ticket,
                                                           reverted: false)
            requestAddress(vmID, ticket: ticket)
        }
    }

    mutating func requestAddress(_ vmID: VMID, ticket: UInt32) {
        emit(.obtainAddress(vmID, config.dhcpRenewal, ticket: ticket))
        if !config.fidelity.has(.addressPollUncapped) {
            emit(.startTimer(.addressWaitOver(vmID, ticket: ticket), afterSeconds: config.addressWaitCapSeconds))
        }
    }

    /// How a worker that is not running comes up, by the wake policy and what Model knows of the worker.
    @inline(__always)
    func wakeOperation(_ vmID: VMID) -> HypervisorOperation {
        config.wake.operation(power: vms[Int(vmID.index)].power, cleanSinceRevert: vms[Int(vmID.index)].cleanSinceRevert)
    }

    /// Issues a hypervisor operation on a worker. A revert makes the VM clean only once it succeeded, so a
    /// failed or interrupted one leaves it to be reverted again; no other operation changes the guest.
    mutating func startHypervisor(_ vmID: VMID, _ operation: HypervisorOperation, ticket: UInt32) {
        if operation == .revert { vms[Int(vmID.index)].cleanSinceRevert = false }
        emit(.hypervisor(vmID, operation, ticket: ticket))
    }

    /// A revert, boot or resume succeeded: the VM runs and its cached address is stale. A revert leaves it
    /// clean; a boot or resume leaves the guest as it was (clean: Model wakes only a clean VM).
    mutating func poweredOn(_ vmID: VMID, by operation: HypervisorOperation) {
        vms[Int(vmID.index)].power = .running
        vms[Int(vmID.index)].address = nil
        if operation == .revert { vms[Int(vmID.index)].cleanSinceRevert = true }
    }

    /// The preparation's revert, boot or resume finished. After a boot or resume the rest of Prepare VM is
    /// the same as after a revert (the address is read again: a VM that slept may hold an expired lease). A
    /// failed one fails the preparation alike; the VM is then no longer trusted clean.
    mutating func preparationPoweredOn(_ vmID: VMID, by operation: HypervisorOperation, succeeded: Bool) {
        guard succeeded else {
            vms[Int(vmID.index)].cleanSinceRevert = false
            return preparationFailed(vmID, reason: .prepareFailed)
        }
        poweredOn(vmID, by: operation)
        // The revert is a step like the others: an ApplicationEnd that waited for it (the mutex) runs now.
        if endPendingAborts(vmID) { return }
        let ticket = vms[Int(vmID.index)].nextTicket()
        vms[Int(vmID.index)].preparation!.step = .obtainingAddress
        vms[Int(vmID.index)].preparation!.ticket = ticket
        requestAddress(vmID, ticket: ticket)
    }

    mutating func addressObtained(_ vmID: VMID, _ address: Address?, ticket: UInt32) {
        guard let prep = vms[Int(vmID.index)].preparation, prep.ticket == ticket, prep.step == .obtainingAddress else {
            ignoredEvents += 1
            return
        }
        guard let address else {
            // The guest has no address yet ("" or "unknown"): read it again, as `_popc_domainGetIpAddress`
            // does, until it comes or the cap's timer (fixed mode) gives up.
            emit(.obtainAddress(vmID, config.dhcpRenewal, ticket: ticket))
            return
        }
        vms[Int(vmID.index)].address = address
        if endPendingAborts(vmID) { return }
        guard config.mode.usesKeys else { return preparationFinished(vmID) }
        let next = vms[Int(vmID.index)].nextTicket()
        vms[Int(vmID.index)].preparation!.ticket = next
        if !vms[Int(vmID.index)].ownKeyFetched {
            vms[Int(vmID.index)].preparation!.step = .fetchingOwnKey
            emit(.fetchVMKey(vmID, ticket: next))
        } else {
            routeOwnKey(vmID)
            writeBaseKeys(vmID, ticket: next)
        }
    }

    /// Every Prepare VM stores the VM's own key in the local PSM and reroutes it to the application's main
    /// node (`reroutePKIToMain`), whether or not an earlier application's preparation did.
    mutating func routeOwnKey(_ vmID: VMID) {
        let app = vms[Int(vmID.index)].preparation!.app
        let node = vms[Int(vmID.index)].node
        let main = apps[Int(app.index)].main
        nodes[Int(node.index)].security.mainNodeLearned(app, main: main)
        writeKeyWithEmptyAppID(.worker(vmID), of: app, at: node)
        if main != node { send(.routeVMKey(app, vmID), from: node, to: main) }
    }

    mutating func addressWaitOver(_ vmID: VMID, ticket: UInt32) {
        guard let prep = vms[Int(vmID.index)].preparation, prep.ticket == ticket, prep.step == .obtainingAddress else { return }
        preparationFailed(vmID, reason: .addressUnavailable)
    }

    mutating func vmKeyFetched(_ vmID: VMID, ticket: UInt32, succeeded: Bool = true) {
        guard let prep = vms[Int(vmID.index)].preparation, prep.ticket == ticket, prep.step == .fetchingOwnKey else {
            ignoredEvents += 1
            return
        }
        guard succeeded else { return preparationFailed(vmID, reason: .prepareFailed) }
        vms[Int(vmID.index)].ownKeyFetched = true
        routeOwnKey(vmID)
        if endPendingAborts(vmID) { return }
        let next = vms[Int(vmID.index)].nextTicket()
        vms[Int(vmID.index)].preparation!.ticket = next
        writeBaseKeys(vmID, ticket: next)
    }

    /// Only a Prepare VM that reverted the VM itself writes the admin VM's key (unless this reservation already
    /// sent it). The original would also write the main node's key when it differs from the requester's; the
    /// requester of every object here is its application's main, so the two keys are one and the requester key
    /// (written next) stands for both.
    mutating func writeBaseKeys(_ vmID: VMID, ticket: UInt32) {
        let prep = vms[Int(vmID.index)].preparation!
        guard prep.reverted, !vms[Int(vmID.index)].adminKeySent else { return preparationFinished(vmID) }
        vms[Int(vmID.index)].preparation!.step = .writingKeys(remaining: 1)
        vms[Int(vmID.index)].cleanSinceRevert = false
        emit(.writeKey(vmID, keyWrite(.admin(vms[Int(vmID.index)].node), app: prep.app), ticket: ticket))
    }

    /// A key write as this grid's wrapper carries it out (see `KeyWrite.installs`).
    @inline(__always)
    func keyWrite(_ kind: KeyKind, app: AppID) -> KeyWrite {
        KeyWrite(kind: kind, app: app, installs: !config.fidelity.has(.guestKeyAppendWithoutShell))
    }

    mutating func keyWritten(_ vmID: VMID, _ write: KeyWrite, ticket: UInt32, succeeded: Bool = true) {
        // The call returned success, but the append did not happen: the key is not in the guest.
        if !write.installs { emit(.report(.keyDropped(vmID, write))) }
        if case .requester(let object) = write.kind {
            return requesterKeyWritten(object, vm: vmID, succeeded: succeeded)
        }
        guard let prep = vms[Int(vmID.index)].preparation, prep.ticket == ticket,
              case .writingKeys(let remaining) = prep.step else {
            ignoredEvents += 1
            return
        }
        guard succeeded else { return preparationFailed(vmID, reason: .prepareFailed) }
        guard remaining == 1 else {
            vms[Int(vmID.index)].preparation!.step = .writingKeys(remaining: remaining - 1)
            return
        }
        vms[Int(vmID.index)].adminKeySent = true
        if endPendingAborts(vmID) { return }
        preparationFinished(vmID)
    }

    /// The VM is prepared for its application: every waiting object moves on.
    mutating func preparationFinished(_ vmID: VMID) {
        let app = vms[Int(vmID.index)].preparation!.app
        vms[Int(vmID.index)].preparation = nil
        vms[Int(vmID.index)].readyFor = app
        launchOrphans(of: vmID)
        var cursor = detachWaitingList(of: vmID)
        while let object = nextWaitingObject(&cursor) { objectReadyForKeys(object, vm: vmID) }
    }

    /// Every waiting object fails; the VM goes back to the pool through ApplicationEnd.
    mutating func preparationFailed(_ vmID: VMID, reason: FailureReason) {
        let node = vms[Int(vmID.index)].node
        vms[Int(vmID.index)].preparation = nil
        var cursor = detachWaitingList(of: vmID)
        while let object = nextWaitingObject(&cursor) { execFailed(object, on: node, reason: reason) }
        if vms[Int(vmID.index)].endPending { finishPendingEnd(vmID) }
    }

    /// Empties the VM's list of objects waiting for its preparation and returns its head, a
    /// cursor for `nextWaitingObject`.
    @inline(__always)
    private mutating func detachWaitingList(of vmID: VMID) -> Int32 {
        let head = vms[Int(vmID.index)].waitingHead
        vms[Int(vmID.index)].waitingHead = -1
        vms[Int(vmID.index)].waitingTail = -1
        return head
    }

    /// The next object of a detached waiting list that still waits for its VM (oldest first;
    /// one released meanwhile is skipped), or nil at the end.
    @inline(__always)
    private mutating func nextWaitingObject(_ cursor: inout Int32) -> ObjectID? {
        while cursor >= 0 {
            let object = ObjectID(Int(cursor))
            cursor = objects[Int(object.index)].nextWaiting
            objects[Int(object.index)].nextWaiting = -1
            if objects[Int(object.index)].host == .waitingForVM { return object }
        }
        return nil
    }

    /// With the mutex (fixed mode), an ApplicationEnd that arrived mid-preparation runs now.
    mutating func endPendingAborts(_ vmID: VMID) -> Bool {
        guard vms[Int(vmID.index)].endPending else { return false }
        vms[Int(vmID.index)].preparation = nil
        finishPendingEnd(vmID)
        return true
    }

    /// Secure modes write the requester's key (taken from the (appId, reqId) map) once per
    /// VM preparation; later objects of the application reuse the tunnel it allows.
    mutating func objectReadyForKeys(_ object: ObjectID, vm vmID: VMID) {
        let record = self.object(object)
        let node = vms[Int(vmID.index)].node
        guard config.mode.usesKeys else { return launch(object, on: node, vm: vmID) }
        if vms[Int(vmID.index)].requesterKeyFor == record.app {
            guard vms[Int(vmID.index)].requesterKeyInFlight else { return launch(object, on: node, vm: vmID) }
            objects[Int(object.index)].host = .waitingForVM
            appendWaiting(object, to: vmID)
            return
        }
        guard nodes[Int(node.index)].security.takeRequesterKey(app: record.app, request: record.request, at: eventSeconds) else {
            return execFailed(object, on: node, reason: .missingRequesterKey)
        }
        objects[Int(object.index)].host = .writingKey
        // Later objects of the application reuse the tunnel this key allows.
        vms[Int(vmID.index)].requesterKeyFor = record.app
        vms[Int(vmID.index)].requesterKeyInFlight = true
        vms[Int(vmID.index)].cleanSinceRevert = false
        emit(.writeKey(vmID, keyWrite(.requester(object), app: record.app), ticket: 0))
    }

    mutating func requesterKeyWritten(_ object: ObjectID, vm vmID: VMID, succeeded: Bool) {
        guard vms[Int(vmID.index)].requesterKeyFor == objects[Int(object.index)].app,
              vms[Int(vmID.index)].requesterKeyInFlight else { ignoredEvents += 1; return }
        vms[Int(vmID.index)].requesterKeyInFlight = false
        let node = vms[Int(vmID.index)].node
        guard succeeded else {
            // The key is not there: this object and those waiting on it cannot be reached.
            vms[Int(vmID.index)].requesterKeyFor = nil
            let host = objects[Int(object.index)].host
            var failing = host == .writingKey || host == .waitingForVM ? [object] : []
            var cursor = detachWaitingList(of: vmID)
            while let waiting = nextWaitingObject(&cursor) { failing.append(waiting) }
            for o in failing { execFailed(o, on: node, reason: .prepareFailed) }
            return
        }
        if objects[Int(object.index)].host == .writingKey { launch(object, on: node, vm: vmID) }
        // Objects that arrived while the key was being written go now.
        var cursor = detachWaitingList(of: vmID)
        while let waiting = nextWaitingObject(&cursor) { launch(waiting, on: node, vm: vmID) }
    }

    mutating func launch(_ object: ObjectID, on node: NodeID, vm vmID: VMID?) {
        objects[Int(object.index)].host = .launching
        if let vmID { vms[Int(vmID.index)].cleanSinceRevert = false }
        let address = vmID.flatMap { vm($0).address }
        emit(.launchObject(object, objects[Int(object.index)].app, on: node, vm: vmID, address: address))
        // Exec returned (Prepare VM done, the object's process started): the host now waits for its callback.
        if config.execTimeoutScope == .callback, let timeout = config.execTimeoutSeconds {
            emit(.startTimer(.execTimeout(object, generation: objects[Int(object.index)].generation), afterSeconds: timeout))
        }
    }

    /// The object never called back within `alloc_timeout`: the host kills it, cancels its reservation and
    /// answers the initiator's ExecObj with a failure.
    mutating func callbackTimedOut(_ object: ObjectID, generation: UInt32) {
        let record = self.object(object)
        guard record.generation == generation, record.host == .launching, let node = record.hostNode else { return }
        emit(.killObject(object, on: node, vm: record.vm))
        releaseObject(object, on: node, keepingVM: config.usesOriginalCreation)
        send(.objectFailed(record.app, object, .execTimeout), from: node, to: apps[Int(record.app.index)].main)
    }

    mutating func objectLaunched(_ object: ObjectID, succeeded: Bool) {
        let record = self.object(object)
        guard record.host == .launching, let node = record.hostNode else {
            // Cancelled while launching: the kill was already issued.
            ignoredEvents += 1
            return
        }
        let main = apps[Int(record.app.index)].main
        guard succeeded else { return execFailed(object, on: node, reason: .prepareFailed) }
        objects[Int(object.index)].host = .running
        emit(.report(.objectRunning(object, record.app, vmWasReady: record.vmWasReady)))
        send(.objectStarted(record.app, object, vmWasReady: record.vmWasReady), from: node, to: main)
    }

    mutating func objectFinished(_ object: ObjectID, succeeded: Bool) {
        let record = self.object(object)
        guard record.host == .running, let node = record.hostNode else { ignoredEvents += 1; return }
        objects[Int(object.index)].host = .finished
        let main = apps[Int(record.app.index)].main
        if succeeded {
            send(.objectCompleted(record.app, object), from: node, to: main)
        } else {
            send(.objectFailed(record.app, object, .objectCrashed), from: node, to: main)
        }
    }

    /// The object could not be started here. The original's `ExecObj` cancels the reservation itself before
    /// it answers (the VM stays reserved for the application); under rounds the job is held until the
    /// initiator's cancel or the application's end.
    mutating func execFailed(_ object: ObjectID, on node: NodeID, reason: FailureReason) {
        let app = objects[Int(object.index)].app
        objects[Int(object.index)].host = .failed
        if config.usesOriginalCreation { releaseObject(object, on: node, keepingVM: true) }
        send(.objectFailed(app, object, reason), from: node, to: apps[Int(app.index)].main)
    }

    mutating func appendWaiting(_ object: ObjectID, to vmID: VMID) {
        objects[Int(object.index)].nextWaiting = -1
        let tail = vms[Int(vmID.index)].waitingTail
        if tail < 0 {
            vms[Int(vmID.index)].waitingHead = object.index
        } else {
            objects[Int(tail)].nextWaiting = object.index
        }
        vms[Int(vmID.index)].waitingTail = object.index
    }

    /// Takes `object` out of `vmID`'s waiting list when it stops waiting before the walk of
    /// preparationFinished/Failed reaches it (cancelled, or its application ended). Left linked,
    /// a retried round that re-places it would relink it with `appendWaiting` and cut the old
    /// list: the old VM would then launch an object now reserved on another node and lose the
    /// objects queued behind it.
    /// A waiting object leaves its VM's queue (cancelled or ended). Without the mutex the
    /// preparation in flight still launches it when it returns.
    mutating func unlinkWaiting(_ object: ObjectID, from vmID: VMID) {
        removeWaiting(object, from: vmID)
        if config.fidelity.has(.applicationEndWithoutMutex) && vms[Int(vmID.index)].preparation != nil {
            orphans.append((vmID, object))
            vms[Int(vmID.index)].orphanCount += 1
        }
    }

    /// The exec threads of given-up objects run `ssh <ip> <command>` into whatever the VM is now.
    mutating func launchOrphans(of vmID: VMID) {
        guard vms[Int(vmID.index)].orphanCount > 0 else { return }
        let given = takeOrphans(of: vmID)
        vms[Int(vmID.index)].cleanSinceRevert = false
        let node = vms[Int(vmID.index)].node
        for object in given {
            emit(.launchObject(object, objects[Int(object.index)].app, on: node, vm: vmID,
                               address: vms[Int(vmID.index)].address))
        }
    }

    /// Removes and returns `vmID`'s orphans, oldest first.
    mutating func takeOrphans(of vmID: VMID) -> [ObjectID] {
        let taken = orphans.filter { $0.vm == vmID }.map(\.object)
        orphans.removeAll { $0.vm == vmID }
        vms[Int(vmID.index)].orphanCount = 0
        return taken
    }

    mutating func removeWaiting(_ object: ObjectID, from vmID: VMID) {
        var previous: Int32 = -1
        var current = vms[Int(vmID.index)].waitingHead
        while current >= 0 && current != object.index {
            previous = current
            current = objects[Int(current)].nextWaiting
        }
        guard current >= 0 else { return }
        let next = objects[Int(current)].nextWaiting
        if previous < 0 {
            vms[Int(vmID.index)].waitingHead = next
        } else {
            objects[Int(previous)].nextWaiting = next
        }
        if vms[Int(vmID.index)].waitingTail == current { vms[Int(vmID.index)].waitingTail = previous }
        objects[Int(current)].nextWaiting = -1
    }
}
