/// SearchNode (POPCSearchNode): resource accounting (report §6.1) and discovery over the
/// neighbour graph (reference flow 2): a request with an exploration list, or a flood.
extension ControlPlane {
    // MARK: Accounting

    /// Reserve took a job: the JobMgr takes the object's requirements off what it has available,
    /// and addJob takes them off the advertisement and counts the job.
    mutating func searchNodeAddJob(_ node: NodeID, app: AppID) {
        let n = Int(node.index)
        let required = requirements(of: app)
        nodes[n].available.subtract(required)
        nodes[n].advertised.subtract(required)
        nodes[n].searchNodeJobs += 1
    }

    /// A reservation cancelled or expired: the JobMgr gives the job's requirements back and calls
    /// removeJob with them. The job count is exact in every mode; faithful `removeJobOverwrites`
    /// sets the advertisement to the one job's requirements instead of adding them back.
    mutating func searchNodeRemoveJob(_ node: NodeID, app: AppID) {
        let n = Int(node.index)
        let required = requirements(of: app)
        nodes[n].available.add(required)
        nodes[n].searchNodeJobs -= 1
        if config.fidelity.has(.removeJobOverwrites) {
            nodes[n].advertised = required
        } else {
            nodes[n].advertised.add(required)
        }
    }

    /// ApplicationEnd: one removeJob for the application's `count` jobs on the node. The original
    /// passes the JobMgr's available totals, so the overwrite writes the right values here.
    mutating func searchNodeRemoveJobs(_ node: NodeID, app: AppID, count: Int32) {
        let n = Int(node.index)
        let required = requirements(of: app)
        nodes[n].available.add(required, times: count)
        nodes[n].searchNodeJobs -= count
        if config.fidelity.has(.removeJobOverwrites) {
            nodes[n].advertised = nodes[n].available
        } else {
            nodes[n].advertised.add(required, times: count)
        }
    }

    /// What a SearchNode answers (`checkResource`). In the virtual builds it is only the JobMgr's
    /// `checkVM`; in the standard and secure builds it is the SearchNode's own job count and
    /// its advertised resources against the object's requirements.
    @inline(__always)
    func searchNodeAccepts(_ app: AppID, at node: NodeID) -> Bool {
        if config.mode.usesWorkerVMs { return canHost(app, on: node) }
        let n = Int(node.index)
        guard nodes[n].searchNodeJobs < nodes[n].config.maxJobs else { return false }
        return nodes[n].advertised.admits(requirements(of: app))
    }

    // MARK: Overlay

    @inline(__always)
    var discoveryForwarding: DiscoveryForwarding {
        guard case .discovery(let policy) = config.placement else { return .explorationList }
        return policy.forwarding
    }

    /// `path` extended with `node` as the request leaves it; under the exploration list the hop
    /// also lists the node's neighbours of this moment.
    mutating func forwardingPath(_ path: WayBack, from node: NodeID) -> WayBack {
        switch discoveryForwarding {
        case .explorationList: wayBacks.extend(path, with: node, listing: nodes[Int(node.index)].neighbours)
        case .flood: wayBacks.extend(path, with: node)
        }
    }

    /// Sends `body` from `node` to each neighbour the request should reach next: those not in
    /// the exploration list `received` (the original), or all but the sender (flood).
    mutating func forward(_ body: MessageBody, received: WayBack, from node: NodeID, sender: NodeID?) {
        let neighbours = nodes[Int(node.index)].neighbours
        switch discoveryForwarding {
        case .explorationList:
            for neighbour in neighbours {
                guard let known = wayBacks.explored(received, contains: neighbour) else {
                    // A list so old its entries were overwritten: the round it served is long over.
                    ignoredEvents += 1
                    return
                }
                if !known { send(body, from: node, to: neighbour) }
            }
        case .flood:
            for neighbour in neighbours where neighbour != sender { send(body, from: node, to: neighbour) }
        }
    }

    /// A duplicate request came over the edge `node`–`sender`: the receiver removes the sender
    /// from its neighbours and has the sender's JobMgr unregister it (`UnregisterNode`, an
    /// asynchronous call in the original, applied here at once).
    mutating func removeEdge(_ node: NodeID, _ sender: NodeID) {
        var removed = false
        if let k = nodes[Int(node.index)].neighbours.firstIndex(of: sender) {
            nodes[Int(node.index)].neighbours.remove(at: k)
            removed = true
        }
        if let k = nodes[Int(sender.index)].neighbours.firstIndex(of: node) {
            nodes[Int(sender.index)].neighbours.remove(at: k)
            removed = true
        }
        if removed { emit(.report(.neighbourRemoved(node, sender))) }
    }

    // MARK: Discovery

    /// `addKeyToReqMap` (a `seq` method) while a `getKeyFromReqMap` (`conc`) may be iterating and erasing the
    /// same unlocked map: with `requesterKeyTakeRaces` an insert within `requesterKeyMapRaceSeconds` of the
    /// node's last take is lost, and the Prepare VM that later needs the key finds none.
    mutating func storeRequesterKeyAtDiscovery(_ app: AppID, _ request: RequestID, at node: NodeID) {
        if config.fidelity.has(.requesterKeyTakeRaces),
           eventSeconds - nodes[Int(node.index)].security.lastTakeSeconds < config.requesterKeyMapRaceSeconds {
            return
        }
        nodes[Int(node.index)].security.requesterKeyReceived(app: app, request: request)
    }

    mutating func startDiscovery(_ app: AppID, round: Int32, policy: DiscoveryPolicy) {
        let main = apps[Int(app.index)].main
        let request = nodes[Int(main.index)].nextRequestID(origin: main)
        apps[Int(app.index)].request = request
        _ = remember(request, at: main)
        // The initiator's own node answers first, without a message; like every responder, it
        // stores the requester key only if it can take the object.
        if searchNodeAccepts(app, at: main) {
            discoveryResponders[Int(app.index)].append(main)
            writeKeyWithEmptyAppID(.mainNode(app), of: app, at: main)
            if config.mode.usesKeys && carriesKeyOnlyAtDiscovery {
                storeRequesterKeyAtDiscovery(app, request, at: main)
            }
        }
        if policy.maxHops > 0 {
            let path = forwardingPath(.empty, from: main)
            forward(.discoveryRequest(request, app, hopsLeft: policy.maxHops - 1, wayBack: path),
                    received: .empty, from: main, sender: nil)
        }
        let wait = policy.waitSeconds > 0 ? policy.waitSeconds : policy.firstAnswerTimeoutSeconds
        if policy.waitSeconds == 0 && !discoveryResponders[Int(app.index)].isEmpty {
            discoveryWaitOver(app, round: round)
        } else {
            emit(.startTimer(.discoveryWait(app, round: round), afterSeconds: wait))
        }
    }

    mutating func discoveryRequestReceived(_ request: RequestID, _ app: AppID, hopsLeft: Int32,
                                           wayBack: WayBack, at node: NodeID, from sender: NodeID) {
        emit(.report(.discoveryMessage(node)))
        guard remember(request, at: node) else {
            if discoveryForwarding == .explorationList { removeEdge(node, sender) }
            return
        }
        if config.mode.usesKeys && carriesKeyOnlyAtDiscovery {
            nodes[Int(node.index)].security.mainNodeLearned(app, main: request.origin)
        }
        if searchNodeAccepts(app, at: node) {
            writeKeyWithEmptyAppID(.mainNode(app), of: app, at: node)
            // Only a node whose check passed keeps the requester key (the original's addKeyToReqMap).
            if config.mode.usesKeys && carriesKeyOnlyAtDiscovery {
                storeRequesterKeyAtDiscovery(app, request, at: node)
            }
            if let (next, back) = wayBacks.last(of: wayBack) {
                send(.discoveryReply(request, app, responder: node, wayBack: back), from: node, to: next)
            } else {
                ignoredEvents += 1
            }
        }
        guard hopsLeft > 0 else { return }
        let path = forwardingPath(wayBack, from: node)
        forward(.discoveryRequest(request, app, hopsLeft: hopsLeft - 1, wayBack: path),
                received: wayBack, from: node, sender: sender)
    }

    mutating func discoveryReplyReceived(_ request: RequestID, _ app: AppID, responder: NodeID,
                                         wayBack: WayBack, at node: NodeID) {
        emit(.report(.discoveryMessage(node)))
        if !wayBack.isEmpty {
            guard let (next, back) = wayBacks.last(of: wayBack) else {
                // A reply so late its path was overwritten: the round it answered is long over.
                ignoredEvents += 1
                return
            }
            send(.discoveryReply(request, app, responder: responder, wayBack: back), from: node, to: next)
            return
        }
        // At the initiator.
        let a = self.app(app)
        guard a.request == request, case .placing(let round) = a.state,
              case .discovery(let policy) = config.placement else {
            ignoredEvents += 1
            return
        }
        let first = discoveryResponders[Int(app.index)].isEmpty
        discoveryResponders[Int(app.index)].append(responder)
        if policy.waitSeconds == 0 && first {
            discoveryWaitOver(app, round: round)
        }
    }

    /// The wait is over: spread the objects round-robin over the responders.
    mutating func discoveryWaitOver(_ app: AppID, round: Int32) {
        guard case .placing(let current) = apps[Int(app.index)].state, current == round else { return }
        if config.usesOriginalCreation { return allocationStarts(app, round: round) }
        let responders = discoveryResponders[Int(app.index)]
        guard !responders.isEmpty else {
            roundFailed(app, round: round, reason: .noResources)
            return
        }
        for (k, o) in apps[Int(app.index)].objects().enumerated() {
            placementOf[Int(o)] = responders[k % responders.count]
        }
        placementArrived(app, round: round)
    }
}
