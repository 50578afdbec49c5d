/// SearchNode (POPCSearchNode): resource accounting (report §6.1) and discovery by flooding
/// over the neighbour graph (reference flow 2).
extension ControlPlane {
    // MARK: Accounting

    mutating func searchNodeAddJob(_ node: NodeID) {
        nodes[Int(node.index)].advertisedFreeJobs -= 1
    }

    /// removeJob: faithful mode overwrites the advertised resources with the removed amount.
    mutating func searchNodeRemoveJobs(_ node: NodeID, count: Int32) {
        if config.fidelity.has(.removeJobOverwrites) {
            nodes[Int(node.index)].advertisedFreeJobs = count
        } else {
            nodes[Int(node.index)].advertisedFreeJobs += count
        }
    }

    // MARK: Discovery

    mutating func startDiscovery(_ app: AppID, round: Int32, policy: DiscoveryPolicy) {
        let main = apps[Int(app.index)].main
        let request = nodes[Int(main.index)].nextRequestID(origin: main)
        apps[Int(app.index)].request = request
        _ = remember(request, at: main)
        if config.mode.usesKeys && carriesKeyOnlyAtDiscovery {
            nodes[Int(main.index)].security.requesterKeyReceived(app: app, request: request)
        }
        // The initiator's own node answers first, without a message.
        if searchNodeAccepts(app, at: main) { discoveryResponders[Int(app.index)].append(main) }
        if policy.maxHops > 0 {
            for neighbour in nodes[Int(main.index)].config.neighbours {
                let path = wayBacks.extend(.empty, with: main)
                send(.discoveryRequest(request, app, hopsLeft: policy.maxHops - 1, wayBack: path),
                     from: main, to: neighbour)
            }
        }
        let wait = policy.waitSeconds > 0 ? policy.waitSeconds : policy.firstAnswerTimeoutSeconds
        if policy.waitSeconds == 0 && !discoveryResponders[Int(app.index)].isEmpty {
            discoveryWaitOver(app, round: round)
        } else {
            emit(.startTimer(.discoveryWait(app, round: round), afterSeconds: wait))
        }
    }

    /// What a SearchNode answers: its advertised resources and the JobMgr's `checkVM`.
    @inline(__always)
    func searchNodeAccepts(_ app: AppID, at node: NodeID) -> Bool {
        nodes[Int(node.index)].advertisedFreeJobs > 0 && canHost(app, on: node)
    }

    mutating func discoveryRequestReceived(_ request: RequestID, _ app: AppID, hopsLeft: Int32,
                                           wayBack: WayBack, at node: NodeID, from sender: NodeID) {
        emit(.report(.discoveryMessage(node)))
        guard remember(request, at: node) else { return }
        if config.mode.usesKeys && carriesKeyOnlyAtDiscovery {
            nodes[Int(node.index)].security.requesterKeyReceived(app: app, request: request)
            nodes[Int(node.index)].security.mainNodeLearned(app, main: request.origin)
        }
        if searchNodeAccepts(app, at: node) {
            if let (next, back) = wayBacks.last(of: wayBack) {
                send(.discoveryReply(request, app, responder: node, wayBack: back), from: node, to: next)
            } else {
                ignoredEvents += 1
            }
        }
        guard hopsLeft > 0 else { return }
        let forward = wayBacks.extend(wayBack, with: node)
        for neighbour in nodes[Int(node.index)].config.neighbours where neighbour != sender {
            send(.discoveryRequest(request, app, hopsLeft: hopsLeft - 1, wayBack: forward), from: node, to: neighbour)
        }
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
