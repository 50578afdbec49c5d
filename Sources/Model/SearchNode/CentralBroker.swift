/// Central placement: a broker that knows every node's load, picks the least-loaded node
/// that can take the object (ties to the lowest id) and keeps one FIFO queue of requests
/// when nothing is free. The alternative the original did not have, for comparison.
struct CentralBroker {
    private var jobs: [Int32]
    private var freeVMs: [Int32]
    private let maxJobs: [Int32]
    private let usesWorkerVMs: Bool
    /// The nodes that can take an object of a new application, by load.
    private var open: LoadBuckets
    /// Requests that could not be placed, oldest first.
    private var queue: [(app: AppID, round: Int32)] = []
    private var queueHead = 0
    /// Nodes chosen for the request being placed (one VM per application per node).
    private var chosen: [NodeID] = []
    /// The last successful placement, one node per object.
    private(set) var placement: [NodeID] = []
    /// Per node: its numbered capacity messages already counted.
    private var fromNodes: [ReplayWindow]
    /// Per application: the last creation round asked for (a duplicated request is not placed twice).
    private var roundsRequested: [Int32] = []

    init(nodes: [NodeConfig], usesWorkerVMs: Bool) {
        jobs = Array(repeating: 0, count: nodes.count)
        freeVMs = nodes.map { $0.initialWorkers }
        maxJobs = nodes.map { $0.maxJobs }
        self.usesWorkerVMs = usesWorkerVMs
        open = LoadBuckets(nodeCount: nodes.count)
        fromNodes = Array(repeating: ReplayWindow(), count: nodes.count)
        for i in 0..<nodes.count where opensForNewApplication(i) { open.insert(i, level: 0) }
    }

    var queuedRequests: Int { queue.count - queueHead }

    /// False for a duplicate of a message this node already sent.
    mutating func firstDelivery(from node: NodeID, sequence: UInt32) -> Bool {
        fromNodes[Int(node.index)].accept(sequence)
    }

    /// False if this round of `app` was asked for already (or a later one was).
    mutating func firstRequest(_ app: AppID, round: Int32) -> Bool {
        let i = Int(app.index)
        if i == roundsRequested.count {
            roundsRequested.append(0)
        } else if i > roundsRequested.count {
            roundsRequested.append(contentsOf: repeatElement(0, count: i + 1 - roundsRequested.count))
        }
        guard round > roundsRequested[i] else { return false }
        roundsRequested[i] = round
        return true
    }

    /// Places `count` objects, all or nothing. Returns the nodes, or nil (the caller queues).
    mutating func place(count: Int32) -> Bool {
        placement.removeAllShort()
        chosen.removeAllShort()
        for _ in 0..<count {
            guard let node = pickNode() else {
                for n in placement { undo(n) }
                placement.removeAllShort()
                return false
            }
            placement.append(node)
        }
        return true
    }

    private func opensForNewApplication(_ node: Int) -> Bool {
        jobs[node] < maxJobs[node] && (!usesWorkerVMs || freeVMs[node] > 0)
    }

    /// Applies a change to one node's counters, moving it between the open buckets.
    @inline(__always)
    private mutating func update(_ node: Int, _ change: (inout Int32, inout Int32) -> Void) {
        if opensForNewApplication(node) { open.remove(node, level: jobs[node]) }
        change(&jobs[node], &freeVMs[node])
        if opensForNewApplication(node) { open.insert(node, level: jobs[node]) }
    }

    /// The least-loaded node that can take the object (ties to the lowest id): an open node,
    /// or one already chosen for this application with a job to spare (it needs no new VM).
    private mutating func pickNode() -> NodeID? {
        var best = open.first()
        for node in chosen {
            let i = Int(node.index)
            guard jobs[i] < maxJobs[i] else { continue }
            if let b = best, (b.level, b.node) < (jobs[i], i) { continue }
            best = (i, jobs[i])
        }
        guard let picked = best?.node else { return nil }
        let node = NodeID(picked)
        let takesVM = usesWorkerVMs && !chosen.contains(node)
        if takesVM { chosen.append(node) }
        update(picked) { jobs, freeVMs in
            jobs += 1
            if takesVM { freeVMs -= 1 }
        }
        return node
    }

    private mutating func undo(_ node: NodeID) {
        let i = Int(node.index)
        let k = chosen.firstIndex(of: node)
        if let k { chosen.remove(at: k) }
        update(i) { jobs, freeVMs in
            jobs -= 1
            if k != nil { freeVMs += 1 }
        }
    }

    /// Returns false if the node gave back more jobs than the broker had placed there (the
    /// count stops at zero): a lost or doubled message, or a node's double count, told it wrong.
    mutating func released(node: NodeID, jobs released: Int32, vms: Int32) -> Bool {
        let i = Int(node.index)
        let exact = released <= jobs[i]
        update(i) { jobs, freeVMs in
            jobs = max(0, jobs - released)
            freeVMs += vms
        }
        return exact
    }

    mutating func vmAdded(node: NodeID) {
        update(Int(node.index)) { _, freeVMs in freeVMs += 1 }
    }

    mutating func enqueue(_ app: AppID, round: Int32) { queue.append((app, round)) }

    var head: (app: AppID, round: Int32)? { queueHead < queue.count ? queue[queueHead] : nil }

    mutating func dequeue() {
        queueHead += 1
        if queueHead == queue.count {
            queue.removeAll(keepingCapacity: true)
            queueHead = 0
        } else if queueHead >= 4096 && queueHead * 2 >= queue.count {
            queue.removeFirst(queueHead)
            queueHead = 0
        }
    }

}

/// The broker's side of the message protocol.
extension ControlPlane {
    mutating func brokerPlacementRequested(_ app: AppID, round: Int32) {
        guard broker != nil else { preconditionFailure("placeObjects without a central broker") }
        guard broker!.firstRequest(app, round: round) else {
            ignoredEvents += 1
            return
        }
        if broker!.queuedRequests == 0 && tryPlace(app, round: round) { return }
        broker!.enqueue(app, round: round)
        emit(.report(.applicationQueued(app)))
    }

    mutating func brokerCapacityReleased(node: NodeID, jobs: Int32, vms: Int32, sequence: UInt32) {
        guard broker!.firstDelivery(from: node, sequence: sequence) else {
            ignoredEvents += 1
            return
        }
        if !broker!.released(node: node, jobs: jobs, vms: vms) { emit(.report(.brokerOvercounted(node))) }
        serveBrokerQueue()
    }

    mutating func brokerVMAdded(node: NodeID, sequence: UInt32) {
        guard broker!.firstDelivery(from: node, sequence: sequence) else {
            ignoredEvents += 1
            return
        }
        broker!.vmAdded(node: node)
        serveBrokerQueue()
    }

    private mutating func serveBrokerQueue() {
        while let head = broker!.head, tryPlace(head.app, round: head.round) { broker!.dequeue() }
    }

    private mutating func tryPlace(_ app: AppID, round: Int32) -> Bool {
        guard broker!.place(count: apps[Int(app.index)].objectCount) else { return false }
        // The answer travels with `objectsPlaced`; the table stands for its payload.
        let first = Int(apps[Int(app.index)].firstObject.index)
        for (k, node) in broker!.placement.enumerated() { placementOf[first + k] = node }
        guard case .central(let brokerNode) = config.placement else { return true }
        send(.objectsPlaced(app, round: round), from: brokerNode, to: apps[Int(app.index)].main)
        return true
    }
}
