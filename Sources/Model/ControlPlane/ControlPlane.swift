/// The whole grid's control plane: every node's JobMgr, SearchNode, SecurityManager and
/// Cloner, every AppService, and the central broker when placement is central.
///
/// Sans-I/O: `handle(_:now:)` takes one event and appends the resulting actions to
/// `outbox`; the driver drains them with `drainActions(into:)`. Nodes share this one value
/// for speed, but a node only reads another node's state through a delivered message.
public struct ControlPlane {
    public let config: GridConfig
    @usableFromInline var nodes: [NodeServices]
    public internal(set) var vms: [WorkerVM]
    public internal(set) var apps: [Application]
    public internal(set) var objects: [ObjectRecord]
    var broker: CentralBroker?
    var wayBacks = WayBackPool()
    /// SearchNode: every node's ring of recently seen request ids, node-major in one array
    /// (the flood checks it on every message).
    var seenRequests: [RequestID]
    let rememberedRequests: Int
    /// The placement answer per object (the broker's or the discovery round's): the node
    /// the initiator reserves it on. Kept out of `Application` so applications stay plain values.
    var placementOf: [NodeID] = []
    /// What each object of an application asks for (its object description), per application;
    /// empty while no application asked for anything (a missing entry asks for nothing).
    var requirementsOf: [Resources] = []
    /// Discovery answers of each application's current round, in arrival order.
    var discoveryResponders: [[NodeID]] = []
    /// Nodes an application's earlier rounds used (they may still hold its VM); rare.
    var earlierRoundNodes: [AppID: [NodeID]] = [:]
    /// Jobs released by an ApplicationEnd whose recycle is still running, per VM.
    var pendingReleasedJobs: [Int32] = []
    /// Objects given up during a Prepare VM without the mutex, oldest first (rare: faithful runs
    /// only). Kept out of `WorkerVM` so worker records stay plain values.
    var orphans: [(vm: VMID, object: ObjectID)] = []
    /// Per VM: the index of the application holding it, `freeHolder` if FREE, `otherHolder` if held
    /// otherwise (cloning). A dense copy of `holder` for the scans of a node's workers (checkVM, the
    /// free count), which would otherwise touch each worker's record.
    @usableFromInline var holderApp: [Int32] = []
    var outbox: ActionBatch
    /// Events that arrived for a state where they mean nothing (stale tickets, late answers).
    public internal(set) var ignoredEvents: Int = 0
    /// The time the current event arrived with (Model keeps no clock of its own).
    var eventSeconds: Double = 0

    public init(config: GridConfig) {
        precondition(config.problem() == nil, "invalid GridConfig: \(config.problem()!)")
        self.config = config
        var remembered = 10
        if case .discovery(let policy) = config.placement { remembered = Int(policy.rememberedRequests) }
        nodes = config.nodes.map { NodeServices(config: $0, rememberedRequests: remembered) }
        rememberedRequests = max(remembered, 1)
        seenRequests = Array(repeating: RequestID(origin: NodeID(-1), counter: 0),
                             count: config.nodes.count * max(remembered, 1))
        vms = []
        apps = []
        objects = []
        outbox = ActionBatch(capacity: 64)
        if case .central = config.placement {
            broker = CentralBroker(nodes: config.nodes, usesWorkerVMs: config.mode.usesWorkerVMs)
        }
        if config.mode.usesWorkerVMs {
            for (i, node) in config.nodes.enumerated() {
                for ordinal in 1...node.initialWorkers {
                    _ = addVM(on: NodeID(i), ordinal: ordinal, holder: .free, power: .off)
                }
            }
        }
    }

    // MARK: Driver interface

    /// Starts an application on its main node; returns its POPAppID. Each of its objects asks
    /// for `requirements` (its object description's power, memory and bandwidth).
    public mutating func submitApplication(main: NodeID, objects count: Int32, requirements: Resources = .none,
                                           now: Double) -> AppID {
        eventSeconds = now
        precondition(count >= 1 && Int(main.index) < nodes.count, "bad application: \(count) objects on \(main)")
        let app = AppID(apps.count)
        if !requirements.isNone || !requirementsOf.isEmpty {
            if requirementsOf.count < apps.count {
                requirementsOf.append(contentsOf: repeatElement(.none, count: apps.count - requirementsOf.count))
            }
            requirementsOf.append(requirements)
        }
        let first = ObjectID(objects.count)
        let request = nodes[Int(main.index)].nextRequestID(origin: main)
        apps.append(Application(main: main, firstObject: first, objectCount: count, state: .placing(round: 1),
                                request: request))
        discoveryResponders.append([])
        for _ in 0..<count {
            objects.append(ObjectRecord(app: app, request: request))
            placementOf.append(ControlPlane.unplaced)
        }
        applicationStarted(app)
        return app
    }

    /// Room for this many applications and objects, when the driver knows its workload ahead:
    /// the per-application tables then never grow (and copy themselves) mid-run.
    public mutating func reserveCapacity(applications: Int, objects objectCount: Int) {
        apps.reserveCapacity(applications)
        discoveryResponders.reserveCapacity(applications)
        objects.reserveCapacity(objectCount)
        placementOf.reserveCapacity(objectCount)
    }

    public mutating func handle(_ event: Event, now: Double) {
        eventSeconds = now
        switch event {
        case .gridStarted:
            gridStarted()
        case .applicationSubmitted:
            preconditionFailure("use submitApplication(main:objects:now:)")
        case .messageDelivered(let message):
            messageDelivered(message)
        case .hypervisorFinished(let vm, let operation, let ticket, let succeeded):
            hypervisorFinished(vm, operation, ticket: ticket, succeeded: succeeded)
        case .addressObtained(let vm, let address, let ticket):
            addressObtained(vm, address, ticket: ticket)
        case .vmKeyFetched(let vm, let ticket, let succeeded):
            vmKeyFetched(vm, ticket: ticket, succeeded: succeeded)
        case .keyWritten(let vm, let write, let ticket, let succeeded):
            keyWritten(vm, write, ticket: ticket, succeeded: succeeded)
        case .objectLaunched(let object, let succeeded):
            objectLaunched(object, succeeded: succeeded)
        case .objectFinished(let object, let succeeded):
            objectFinished(object, succeeded: succeeded)
        case .timerFired(let timer):
            timerFired(timer)
        case .applicationCrashed(let app):
            applicationCrashed(app)
        case .vmPowerObserved(let vm, let power):
            vmPowerObserved(vm, power)
        case .adminRestarted(let node):
            adminRestarted(node)
        }
    }

    /// Moves the pending actions into `batch` (cleared first). Swapping keeps both
    /// batches' storage, so a steady-state driver never allocates here.
    public mutating func drainActions(into batch: inout ActionBatch) {
        batch.removeAll()
        swap(&batch, &outbox)
    }

    public var hasPendingActions: Bool { !outbox.isEmpty }

    // MARK: Queries (for drivers, metrics and invariant checks)

    public var nodeCount: Int { nodes.count }
    public func jobs(on node: NodeID) -> Int32 { nodes[Int(node.index)].jobs }
    public func maxJobs(on node: NodeID) -> Int32 { nodes[Int(node.index)].config.maxJobs }
    /// The node's kept count of FREE workers and the count from its workers' entries in the dense
    /// holder table (they must agree; `holderTableMatchesWorkers` checks the table itself).
    /// Inlinable: the checker asks on every event that touches a node, and a call across the
    /// module boundary copies the whole plane (480 bytes) out of the simulation to pass it.
    @inlinable
    public func freeWorkerCounts(on node: NodeID) -> (kept: Int32, counted: Int32) {
        var counted: Int32 = 0
        for id in nodes[Int(node.index)].vms where holderApp[Int(id.index)] == ControlPlane.freeHolder { counted += 1 }
        return (nodes[Int(node.index)].freeVMs, counted)
    }

    /// Whether every worker's dense holder entry says what its record says (a full scan: for the
    /// end of a run, not for every event).
    public func holderTableMatchesWorkers() -> Bool {
        vms.indices.allSatisfy { holderApp[$0] == ControlPlane.holderAppIndex(vms[$0].holder) }
    }
    /// The SearchNode's job count (`psn_currentJobs`).
    public func searchNodeJobs(on node: NodeID) -> Int32 { nodes[Int(node.index)].searchNodeJobs }
    /// What the SearchNode advertises.
    public func advertisedResources(on node: NodeID) -> Resources { nodes[Int(node.index)].advertised }
    /// What the JobMgr has left after its jobs' requirements.
    public func availableResources(on node: NodeID) -> Resources { nodes[Int(node.index)].available }
    /// The node's current neighbours in the discovery overlay.
    public func neighbours(of node: NodeID) -> [NodeID] { nodes[Int(node.index)].neighbours }
    /// What each object of `app` asks for (inlined: Reserve and ApplicationEnd ask it).
    @inline(__always)
    public func requirements(of app: AppID) -> Resources {
        Int(app.index) < requirementsOf.count ? requirementsOf[Int(app.index)] : .none
    }
    public func workers(on node: NodeID) -> [VMID] { nodes[Int(node.index)].vms }
    public func clonerQueue(on node: NodeID) -> Int { nodes[Int(node.index)].cloner.queued }
    public func hops(of path: WayBack) -> [NodeID] { wayBacks.hops(of: path) }
    static let unplaced = NodeID(-1)

    /// The nodes the current round placed the application's objects on (empty before placement).
    public func placement(of app: AppID) -> [NodeID] {
        let range = apps[Int(app.index)].objects()
        let nodes = range.map { placementOf[Int($0)] }
        return nodes.contains(ControlPlane.unplaced) ? [] : nodes
    }


    // MARK: Dispatch

    mutating func messageDelivered(_ message: Message) {
        let at = message.to
        switch message.body {
        case .placeObjects(let app, let round):
            brokerPlacementRequested(app, round: round)
        case .objectsPlaced(let app, let round):
            placementArrived(app, round: round)
        case .capacityReleased(let node, let jobs, let vms, let sequence):
            brokerCapacityReleased(node: node, jobs: jobs, vms: vms, sequence: sequence)
        case .vmAdded(let node, let sequence):
            brokerVMAdded(node: node, sequence: sequence)
        case .discoveryRequest(let request, let app, let hopsLeft, let wayBack):
            discoveryRequestReceived(request, app, hopsLeft: hopsLeft, wayBack: wayBack, at: at, from: message.from)
        case .discoveryReply(let request, let app, let responder, let wayBack):
            discoveryReplyReceived(request, app, responder: responder, wayBack: wayBack, at: at)
        case .reserve(let app, let object, let request, let round, let carriesKey):
            reserveRequested(app, object, request, round: round, carriesRequesterKey: carriesKey, at: at,
                             from: message.from)
        case .reserveAnswered(let app, let object, let accepted):
            reserveAnswered(app, object, accepted: accepted, from: message.from)
        case .execute(let app, let object):
            executeRequested(app, object, at: at)
        case .objectStarted(let app, let object, let vmWasReady):
            objectStarted(app, object, vmWasReady: vmWasReady, from: message.from)
        case .objectFailed(let app, let object, let reason):
            objectFailed(app, object, reason: reason, from: message.from)
        case .objectCompleted(let app, let object):
            objectCompleted(app, object)
        case .cancelObject(let app, let object, let booking):
            cancelObjectRequested(app, object, booking: booking, at: at)
        case .applicationEnded(let app, let request, let explored):
            applicationEndReceived(app, request: request, explored: explored, at: at, from: message.from)
        case .routeVMKey(let app, let vm):
            vmKeyRouteReceived(app, vm: vm, at: at)
        }
    }

    mutating func timerFired(_ timer: Alarm) {
        switch timer {
        case .discoveryWait(let app, let round):
            discoveryWaitOver(app, round: round)
        case .reservationExpiry(let object, let generation):
            reservationExpired(object, generation: generation)
        case .execTimeout(let object, let generation):
            execTimedOut(object, generation: generation)
        case .roundTimeout(let app, let round):
            roundTimedOut(app, round: round)
        case .errorPauseOver(let app):
            errorPauseOver(app)
        case .idleTimeout(let vm, let generation):
            idleTimedOut(vm, generation: generation)
        case .addressWaitOver(let vm, let ticket):
            addressWaitOver(vm, ticket: ticket)
        case .recycleRetry(let vm, let ticket):
            recycleRetryDue(vm, ticket: ticket)
        }
    }

    // MARK: Helpers shared by the services

    mutating func emit(_ action: Action) { outbox.append(action) }

    mutating func send(_ body: MessageBody, from: NodeID, to: NodeID) {
        emit(.send(Message(from: from, to: to, body: body)))
    }

    mutating func addVM(on node: NodeID, ordinal: Int32, holder: VMHolder, power: PowerState) -> VMID {
        let id = VMID(vms.count)
        vms.append(WorkerVM(node: node, ordinal: ordinal, holder: holder, power: power))
        holderApp.append(ControlPlane.holderAppIndex(holder))
        pendingReleasedJobs.append(0)
        nodes[Int(node.index)].vms.append(id)
        if holder == .free { nodes[Int(node.index)].freeVMs += 1 }
        return id
    }

    /// Remembers `id` at `node`; returns false if it was seen recently (a duplicate to drop).
    mutating func remember(_ id: RequestID, at node: NodeID) -> Bool {
        let base = Int(node.index) * rememberedRequests
        for k in base..<(base + rememberedRequests) where seenRequests[k] == id { return false }
        seenRequests[base + Int(nodes[Int(node.index)].seenCursor)] = id
        nodes[Int(node.index)].seenCursor = Int32((Int(nodes[Int(node.index)].seenCursor) + 1) % rememberedRequests)
        return true
    }

    /// Every change of a VM's holder goes through here, so the node's free count stays exact.
    @inline(__always)
    mutating func setHolder(_ id: VMID, _ holder: VMHolder) {
        let node = Int(vms[Int(id.index)].node.index)
        if vms[Int(id.index)].holder == .free { nodes[node].freeVMs -= 1 }
        if holder == .free {
            nodes[node].freeVMs += 1
            // `vm_free`: the next reservation sends the admin key again after its revert.
            vms[Int(id.index)].adminKeySent = false
        }
        vms[Int(id.index)].holder = holder
        if case .application = holder { vms[Int(id.index)].everReserved = true }
        holderApp[Int(id.index)] = ControlPlane.holderAppIndex(holder)
    }

    @inline(__always)
    static func holderAppIndex(_ holder: VMHolder) -> Int32 {
        switch holder {
        case .application(let app): app.index
        case .free: freeHolder
        case .cloneSource, .beingCloned, .discarded: otherHolder
        }
    }

    @usableFromInline static let freeHolder: Int32 = -1
    static let otherHolder: Int32 = -2

    @inline(__always) func node(_ id: NodeID) -> NodeServices { nodes[Int(id.index)] }
    @inline(__always) func vm(_ id: VMID) -> WorkerVM { vms[Int(id.index)] }
    @inline(__always) func object(_ id: ObjectID) -> ObjectRecord { objects[Int(id.index)] }
    @inline(__always) func app(_ id: AppID) -> Application { apps[Int(id.index)] }
}
