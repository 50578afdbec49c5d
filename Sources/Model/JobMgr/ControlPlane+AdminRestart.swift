/// An admin VM restarts (a fault): the node's JobMgr, SearchNode, SecurityManager and Cloner
/// come back with empty memory and run the original's start-up flow, which reverts every
/// worker it finds (whatever `revertWorkersAtStartup` says about the grid's first start: a
/// JobMgr that knows nothing of its workers cannot trust them). The objects in them die and
/// their mains hear of it through the broken connection, as do mains whose Execute was in
/// progress there; reservations not yet executed are simply gone (a later Execute is refused).
extension ControlPlane {
    mutating func adminRestarted(_ node: NodeID) {
        let n = Int(node.index)
        guard nodes[n].started || nodes[n].pendingStartupReverts > 0 || !config.mode.usesWorkerVMs else {
            ignoredEvents += 1
            return
        }
        var releasedJobs = forgetObjects(on: node)
        var freedVMs: Int32 = 0
        for vmID in nodes[n].vms {
            // Jobs of ended applications whose recycle was still running: the broker hears of them now.
            releasedJobs += pendingReleasedJobs[Int(vmID.index)]
            freedVMs += forget(vmID)
        }
        nodes[n].restart()
        let remembered = rememberedRequests
        for k in (n * remembered)..<((n + 1) * remembered) { seenRequests[k] = RequestID(origin: NodeID(-1), counter: 0) }
        emit(.report(.nodeLoad(node, jobs: 0)))
        brokerNotify(node: node, jobs: releasedJobs, vms: freedVMs)
        restartStartupFlow(on: node)
    }

    /// The JobMgr's objects on `node` are forgotten. Returns how many jobs that released.
    private mutating func forgetObjects(on node: NodeID) -> Int32 {
        var released: Int32 = 0
        for o in objects.indices where objects[o].hostNode == node {
            let id = ObjectID(o)
            let app = objects[o].app
            let host = objects[o].host
            switch host {
            case .none, .released:
                continue
            case .reserved, .failed, .finished:
                // A finished object keeps its job until ApplicationEnd: forgotten with the rest.
                break
            case .waitingForVM, .writingKey, .launching, .running:
                if host == .launching || host == .running { emit(.killObject(id, on: node, vm: objects[o].vm)) }
                send(.objectFailed(app, id, .nodeRestarted), from: node, to: apps[Int(app.index)].main)
            }
            objects[o].host = .released
            released += 1
        }
        return released
    }

    /// What the JobMgr knew of one worker is gone; operations in flight are orphaned (their
    /// completions carry old tickets). Returns 1 if the worker becomes free.
    private mutating func forget(_ vmID: VMID) -> Int32 {
        let i = Int(vmID.index)
        _ = vms[i].nextTicket()
        vms[i].preparation = nil
        vms[i].maintenance = nil
        vms[i].forgetPreparedGuest()
        vms[i].endPending = false
        vms[i].jobs = 0
        vms[i].waitingHead = -1
        vms[i].waitingTail = -1
        if vms[i].orphanCount > 0 { _ = takeOrphans(of: vmID) }
        vms[i].ownKeyFetched = false
        pendingReleasedJobs[i] = 0
        switch vms[i].holder {
        case .free, .discarded:
            return 0
        case .beingCloned:
            // Half a copy: the new JobMgr does not find it.
            setHolder(vmID, .discarded)
            return 0
        case .application, .cloneSource:
            setHolder(vmID, .free)
            return 1
        }
    }

    private mutating func restartStartupFlow(on node: NodeID) {
        let n = Int(node.index)
        guard config.mode.usesWorkerVMs else {
            nodes[n].started = true
            return
        }
        let workers = nodes[n].vms.filter { vms[Int($0.index)].exists }
        nodes[n].pendingStartupReverts = Int32(workers.count)
        for vmID in workers {
            let ticket = vms[Int(vmID.index)].nextTicket()
            vms[Int(vmID.index)].maintenance = WorkerVM.Maintenance(operation: .revert, ticket: ticket, purpose: .startup)
            startHypervisor(vmID, .revert, ticket: ticket)
        }
        if workers.isEmpty { startupFinished(on: node) }
    }
}
