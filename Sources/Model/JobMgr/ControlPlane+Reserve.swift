/// JobMgr reservation (reference flow 3): Reserve(appId, reqId) under the node's mutex,
/// one worker VM per application per node, jobs counted against `maxjobs`.
extension ControlPlane {
    // The queries below are inlined: a call that is not copies the whole plane (480 bytes) out of
    // the mutating caller's `self` to pass it.

    /// `checkVM`: may this node take one more object of `app`?
    @inline(__always)
    func canHost(_ app: AppID, on node: NodeID) -> Bool {
        // Fields, not a copy of the node's services: a copy retains every array in them.
        let n = Int(node.index)
        guard nodes[n].jobs < nodes[n].config.maxJobs else { return false }
        guard config.mode.usesWorkerVMs else { return true }
        return nodes[Int(node.index)].freeVMs > 0 || vmReserved(for: app, on: node) != nil
    }

    @inline(__always)
    func vmReserved(for app: AppID, on node: NodeID) -> VMID? {
        for id in nodes[Int(node.index)].vms where holderApp[Int(id.index)] == app.index { return id }
        return nil
    }

    /// The first FREE worker in ordinal order (a VM still in its start-up revert counts: Prepare waits for it).
    @inline(__always)
    func firstFreeVM(on node: NodeID) -> VMID? {
        for id in nodes[Int(node.index)].vms where holderApp[Int(id.index)] == ControlPlane.freeHolder { return id }
        return nil
    }

    @inline(__always)
    func freeVMCount(on node: NodeID) -> Int32 {
        nodes[Int(node.index)].freeVMs
    }

    @inline(__always)
    func existingVMCount(on node: NodeID) -> Int32 {
        var count: Int32 = 0
        for id in nodes[Int(node.index)].vms where vms[Int(id.index)].exists { count += 1 }
        return count
    }

    mutating func reserveRequested(_ app: AppID, _ object: ObjectID, _ request: RequestID, round: Int32,
                                   carriesRequesterKey: Bool, at node: NodeID, from initiator: NodeID) {
        guard round > objects[Int(object.index)].reservedRound else {
            // A duplicate (or a round given up since): the first copy was answered.
            ignoredEvents += 1
            return
        }
        objects[Int(object.index)].reservedRound = round
        let accepted = reserve(app, object, request, at: node)
        if accepted && carriesRequesterKey {
            nodes[Int(node.index)].security.requesterKeyReceived(app: app, request: request)
        }
        send(.reserveAnswered(app, object, accepted: accepted), from: node, to: initiator)
    }

    /// Returns whether the reservation was made.
    mutating func reserve(_ app: AppID, _ object: ObjectID, _ request: RequestID, at node: NodeID) -> Bool {
        guard canHost(app, on: node) else { return false }
        var tookFreeVM = false
        if config.mode.usesWorkerVMs {
            let vmID: VMID
            if let existing = vmReserved(for: app, on: node) {
                vmID = existing
            } else {
                vmID = firstFreeVM(on: node)!
                setHolder(vmID, .application(app))
                vms[Int(vmID.index)].idleGeneration &+= 1
                emit(.report(.vmReserved(vmID, app)))
                tookFreeVM = true
            }
            vms[Int(vmID.index)].jobs += 1
            objects[Int(object.index)].vm = vmID
        }
        nodes[Int(node.index)].jobs += 1
        searchNodeAddJob(node, app: app)
        objects[Int(object.index)].node = node
        objects[Int(object.index)].hostNode = node
        objects[Int(object.index)].host = .reserved
        objects[Int(object.index)].request = request
        emit(.report(.nodeLoad(node, jobs: nodes[Int(node.index)].jobs)))
        if !config.fidelity.has(.reservationsNeverExpire), let timeout = config.reservationTimeoutSeconds {
            emit(.startTimer(.reservationExpiry(object, generation: objects[Int(object.index)].generation),
                             afterSeconds: timeout))
        }
        if tookFreeVM { cloneAheadIfNeeded(on: node) }
        return true
    }

    /// A reservation never followed by Execute is released after the reservation timeout.
    mutating func reservationExpired(_ object: ObjectID, generation: UInt32) {
        let record = self.object(object)
        guard record.generation == generation, record.host == .reserved, let node = record.hostNode else { return }
        emit(.report(.reservationExpired(object)))
        releaseObject(object, on: node)
    }

    /// The initiator gave up this object: release its reservation and kill it if it runs. Under the original
    /// creation (`JobMgr::CancelReservation`) the job goes and the VM stays reserved for the application until
    /// ApplicationEnd; under rounds an unused VM goes back to the pool at once.
    mutating func cancelObjectRequested(_ app: AppID, _ object: ObjectID, booking: Int32, at node: NodeID) {
        let record = self.object(object)
        guard record.hostNode == node, booking >= record.reservedRound else { ignoredEvents += 1; return }
        switch record.host {
        case .none, .finished, .released:
            return
        case .running, .launching:
            emit(.killObject(object, on: node, vm: record.vm))
        case .reserved, .waitingForVM, .writingKey, .failed:
            break
        }
        releaseObject(object, on: node, keepingVM: config.usesOriginalCreation)
    }

    /// Gives one object's job back to the node (and tells the broker).
    mutating func releaseObject(_ object: ObjectID, on node: NodeID, keepingVM: Bool = false) {
        let record = self.object(object)
        if record.host == .waitingForVM, let vmID = record.vm { unlinkWaiting(object, from: vmID) }
        objects[Int(object.index)].host = .released
        nodes[Int(node.index)].jobs -= 1
        searchNodeRemoveJob(node, app: record.app)
        var vmsFreed: Int32 = 0
        if let vmID = record.vm {
            let v = Int(vmID.index)
            vms[v].jobs -= 1
            // An unused VM goes straight back to the pool; a prepared one waits for ApplicationEnd.
            if !keepingVM, vms[v].jobs == 0, vms[v].holder == .application(record.app), vms[v].preparation == nil,
               vms[v].readyFor == nil, vms[v].maintenance == nil {
                setHolder(vmID, .free)
                emit(.report(.vmFreed(vmID)))
                vmsFreed = 1
            }
        }
        brokerNotify(node: node, jobs: 1, vms: vmsFreed)
    }

    mutating func brokerNotify(node: NodeID, jobs: Int32, vms: Int32) {
        guard case .central(let broker) = config.placement else { return }
        let sequence = nodes[Int(node.index)].nextBrokerSequence()
        send(.capacityReleased(node: node, jobs: jobs, vms: vms, sequence: sequence), from: node, to: broker)
    }
}
