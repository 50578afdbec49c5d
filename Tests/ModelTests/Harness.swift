import XCTest
@testable import Model

/// Wires the control plane to an in-memory network: messages are delivered at once, in
/// order; every other action waits in `pending` for the test to answer.
struct Harness {
    var plane: ControlPlane
    var pending: [Action] = []
    var reports: [Report] = []
    var delivered: [Message] = []
    var now = 0.0
    /// Messages for which this returns true are kept in `held` instead of being delivered
    /// (to model a message that is late or overtaken).
    var hold: ((Message) -> Bool)?
    var held: [Message] = []
    private var buffer = ActionBatch()

    init(_ config: GridConfig, start: Bool = true) {
        plane = ControlPlane(config: config)
        if start { handle(.gridStarted) }
    }

    mutating func handle(_ event: Event) {
        plane.handle(event, now: now)
        pump()
    }

    mutating func submit(main: Int = 0, objects: Int32 = 1, requirements: Resources = .none) -> AppID {
        let app = plane.submitApplication(main: NodeID(main), objects: objects, requirements: requirements, now: now)
        pump()
        return app
    }

    mutating func pump() {
        var inbox: [Message] = []
        repeat {
            plane.drainActions(into: &buffer)
            for action in buffer {
                switch action {
                case .send(let message): inbox.append(message)
                case .report(let report): reports.append(report)
                default: pending.append(action)
                }
            }
            if !inbox.isEmpty {
                let message = inbox.removeFirst()
                if let hold, hold(message) {
                    held.append(message)
                } else {
                    delivered.append(message)
                    plane.handle(.messageDelivered(message), now: now)
                }
            }
        } while plane.hasPendingActions || !inbox.isEmpty
    }

    /// Removes and returns the first pending action matching `match`.
    mutating func take<T>(_ what: String = "action", file: StaticString = #filePath, line: UInt = #line,
                          _ match: (Action) -> T?) -> T? {
        for (i, action) in pending.enumerated() {
            if let value = match(action) {
                pending.remove(at: i)
                return value
            }
        }
        XCTFail("no pending \(what) in \(pending)", file: file, line: line)
        return nil
    }

    /// Completes every pending hypervisor operation successfully.
    mutating func finishHypervisor(file: StaticString = #filePath, line: UInt = #line) {
        guard let (vm, op, ticket) = take("hypervisor", file: file, line: line, { action -> (VMID, HypervisorOperation, UInt32)? in
            if case .hypervisor(let vm, let op, let ticket) = action { return (vm, op, ticket) }
            return nil
        }) else { return }
        handle(.hypervisorFinished(vm, op, ticket: ticket, succeeded: true))
    }

    mutating func answerAddress(_ raw: UInt32 = 7, file: StaticString = #filePath, line: UInt = #line) {
        guard let (vm, ticket) = take("obtainAddress", file: file, line: line, { action -> (VMID, UInt32)? in
            if case .obtainAddress(let vm, _, let ticket) = action { return (vm, ticket) }
            return nil
        }) else { return }
        handle(.addressObtained(vm, Address(raw), ticket: ticket))
    }

    mutating func launchedObject(file: StaticString = #filePath, line: UInt = #line) -> ObjectID? {
        take("launchObject", file: file, line: line) { action -> ObjectID? in
            if case .launchObject(let object, _, _, _, _) = action { return object }
            return nil
        }
    }

    /// Drops pending timers (tests fire the ones they care about by hand).
    mutating func dropTimers() {
        pending.removeAll { if case .startTimer = $0 { return true }; return false }
    }

    func pendingTimers() -> [Alarm] {
        pending.compactMap { if case .startTimer(let timer, _) = $0 { return timer }; return nil }
    }
}

func centralGrid(nodes: Int = 1, maxVMs: Int32 = 2, initial: Int32 = 2, maxJobs: Int32 = 100,
                 mode: Mode = .virtual, fidelity: Fidelity = .fixed, threshold: Int32 = 0,
                 recycle: RecycleAction = .revert, startupRevert: Bool = false) -> GridConfig {
    GridConfig(mode: mode, fidelity: fidelity, placement: .central(broker: NodeID(0)), recycle: recycle,
               cloneAheadThreshold: threshold, revertWorkersAtStartup: startupRevert,
               nodes: Array(repeating: NodeConfig(maxJobs: maxJobs, maxVMs: maxVMs, initialWorkers: initial),
                            count: nodes))
}

// MARK: Helpers for the flow tests

extension Harness {
    /// Delivers (in order) the held messages that match, then stops holding nothing new.
    mutating func deliverHeld(where match: (Message) -> Bool = { _ in true }) {
        let ready = held.filter(match)
        held.removeAll(where: match)
        for message in ready {
            delivered.append(message)
            handle(.messageDelivered(message))
        }
    }

    /// Fires `alarm` (removing its pending startTimer if there is one).
    mutating func fire(_ alarm: Alarm) {
        pending.removeAll { if case .startTimer(alarm, _) = $0 { return true }; return false }
        handle(.timerFired(alarm))
    }

    /// The delay asked for `alarm`, if it is pending.
    func delay(of alarm: Alarm) -> Double? {
        for action in pending { if case .startTimer(alarm, let seconds) = action { return seconds } }
        return nil
    }

    /// Pending hypervisor operations on `vm`, oldest first.
    func hypervisorOps(on vm: VMID) -> [HypervisorOperation] {
        pending.compactMap { if case .hypervisor(vm, let op, _) = $0 { return op }; return nil }
    }

    /// All pending hypervisor operations as (vm, operation).
    func hypervisorOps() -> [(VMID, HypervisorOperation)] {
        pending.compactMap { if case .hypervisor(let vm, let op, _) = $0 { return (vm, op) }; return nil }
    }

    /// Completes the oldest pending hypervisor operation on `vm` (of `operation`'s kind if given).
    @discardableResult
    mutating func finishHypervisor(on vm: VMID, _ operation: HypervisorOperation? = nil, succeeded: Bool = true,
                                   file: StaticString = #filePath, line: UInt = #line) -> HypervisorOperation? {
        guard let (op, ticket) = take("hypervisor on \(vm)", file: file, line: line, { action -> (HypervisorOperation, UInt32)? in
            if case .hypervisor(vm, let op, let ticket) = action, operation == nil || operation == op { return (op, ticket) }
            return nil
        }) else { return nil }
        handle(.hypervisorFinished(vm, op, ticket: ticket, succeeded: succeeded))
        return op
    }

    /// Answers the pending address request of `vm` (nil: no address could be had).
    mutating func answerAddress(vm: VMID, _ raw: UInt32? = 7, file: StaticString = #filePath, line: UInt = #line) {
        guard let ticket = take("obtainAddress on \(vm)", file: file, line: line, { action -> UInt32? in
            if case .obtainAddress(vm, _, let ticket) = action { return ticket }
            return nil
        }) else { return }
        handle(.addressObtained(vm, raw.map { Address($0) }, ticket: ticket))
    }

    /// Answers the pending own-key fetch of `vm`.
    mutating func answerVMKey(vm: VMID, file: StaticString = #filePath, line: UInt = #line) {
        guard let ticket = take("fetchVMKey on \(vm)", file: file, line: line, { action -> UInt32? in
            if case .fetchVMKey(vm, let ticket) = action { return ticket }
            return nil
        }) else { return }
        handle(.vmKeyFetched(vm, ticket: ticket))
    }

    /// Pending key writes of `vm`, oldest first.
    func keyWrites(on vm: VMID) -> [KeyWrite] {
        pending.compactMap { if case .writeKey(vm, let write, _) = $0 { return write }; return nil }
    }

    /// Completes the key writes of `vm` pending now (not those they lead to), in order;
    /// returns what was written.
    @discardableResult
    mutating func answerKeyWrites(vm: VMID) -> [KeyWrite] {
        let now = pending.compactMap { action -> (KeyWrite, UInt32)? in
            if case .writeKey(vm, let write, let ticket) = action { return (write, ticket) }
            return nil
        }
        pending.removeAll { if case .writeKey(vm, _, _) = $0 { return true }; return false }
        for (write, ticket) in now { handle(.keyWritten(vm, write, ticket: ticket)) }
        return now.map(\.0)
    }

    /// Pending launches as (object, node, vm, address).
    func launches() -> [(ObjectID, NodeID, VMID?, Address?)] {
        pending.compactMap {
            if case .launchObject(let o, _, let node, let vm, let address) = $0 { return (o, node, vm, address) }
            return nil
        }
    }

    /// Reports every pending launch as succeeded; returns the objects, in order.
    @discardableResult
    mutating func launchAll() -> [ObjectID] {
        let objects = launches().map(\.0)
        pending.removeAll { if case .launchObject = $0 { return true }; return false }
        for object in objects { handle(.objectLaunched(object, succeeded: true)) }
        return objects
    }

    /// Every object of `app` finishes (successfully by default).
    mutating func finishObjects(of app: AppID, succeeded: Bool = true) {
        for o in plane.apps[Int(app.index)].objects() { handle(.objectFinished(ObjectID(Int(o)), succeeded: succeeded)) }
    }

    /// The generation of `object`'s current timers (read from the control plane).
    func generation(of object: ObjectID) -> UInt32 { plane.objects[Int(object.index)].generation }

    func app(_ app: AppID) -> Application { plane.apps[Int(app.index)] }
    func vm(_ vm: Int) -> WorkerVM { plane.vms[vm] }
    func object(_ object: Int) -> ObjectRecord { plane.objects[object] }

    /// Delivered messages whose body matches, in delivery order.
    func deliveredBodies<T>(_ match: (MessageBody) -> T?) -> [T] { delivered.compactMap { match($0.body) } }

    /// Delivered discovery requests as (from, to, request, hopsLeft, wayBack).
    func discoveryRequests() -> [(from: Int32, to: Int32, request: RequestID, hopsLeft: Int32, wayBack: WayBack)] {
        delivered.compactMap {
            if case .discoveryRequest(let r, _, let hops, let wb) = $0.body { return ($0.from.index, $0.to.index, r, hops, wb) }
            return nil
        }
    }

    /// Delivered discovery replies as (from, to, responder).
    func discoveryReplies() -> [(from: Int32, to: Int32, responder: Int32)] {
        delivered.compactMap {
            if case .discoveryReply(_, _, let responder, _) = $0.body { return ($0.from.index, $0.to.index, responder.index) }
            return nil
        }
    }

    /// Nodes that received a Reserve, in order.
    func reserveTargets(of app: AppID) -> [Int32] {
        delivered.compactMap { if case .reserve(app, _, _, _, _) = $0.body { return $0.to.index }; return nil }
    }

    func hasFinished(_ app: AppID, succeeded: Bool, reason: FailureReason? = nil) -> Bool {
        reports.contains(.applicationFinished(app, succeeded: succeeded, reason: reason))
    }
}

/// Node configurations connected as a line 0-1-…-(n-1) (each node's neighbours in id order).
func line(_ count: Int, _ node: NodeConfig = NodeConfig()) -> [NodeConfig] {
    (0..<count).map { i in
        var config = node
        config.neighbours = [i - 1, i + 1].filter { $0 >= 0 && $0 < count }.map { NodeID($0) }
        return config
    }
}

/// Node configurations connected each to every other (neighbours in id order).
func full(_ count: Int, _ node: NodeConfig = NodeConfig()) -> [NodeConfig] {
    (0..<count).map { i in
        var config = node
        config.neighbours = (0..<count).filter { $0 != i }.map { NodeID($0) }
        return config
    }
}

/// Node configurations connected as a ring (neighbours: next, then previous).
func ring(_ count: Int, _ node: NodeConfig = NodeConfig()) -> [NodeConfig] {
    (0..<count).map { i in
        var config = node
        config.neighbours = [NodeID((i + 1) % count), NodeID((i + count - 1) % count)]
        return config
    }
}

func discoveryGrid(_ nodes: [NodeConfig], mode: Mode = .standard, fidelity: Fidelity = .fixed,
                   maxHops: Int32 = 1000, wait: Double = 0, remembered: Int32 = 10,
                   threshold: Int32 = 0, recycle: RecycleAction = .revert, end: EndNotification = .targeted,
                   rounds: Int32 = 3, reservationTimeout: Double? = 120, startupRevert: Bool = false,
                   forwarding: DiscoveryForwarding = .explorationList, creation: CreationFlow = .rounds) -> GridConfig {
    var config = GridConfig(mode: mode, fidelity: fidelity,
               placement: .discovery(DiscoveryPolicy(maxHops: maxHops, waitSeconds: wait, rememberedRequests: remembered,
                                                     forwarding: forwarding)),
               endNotification: end, recycle: recycle, cloneAheadThreshold: threshold,
               reservationTimeoutSeconds: reservationTimeout, creationRounds: rounds,
               revertWorkersAtStartup: startupRevert, nodes: nodes)
    // Most Model tests were written for visag's rounds; `CreateObjectTests` covers the original flow.
    config.creation = creation
    return config
}

/// Fidelity.fixed with exactly one defect switched on.
func only(_ defect: Defect) -> Fidelity {
    var fidelity = Fidelity.fixed
    fidelity.set(defect, true)
    return fidelity
}

/// `config` with the initiator's clock covering Prepare VM (`ExecTimeoutScope.execution`): tests use its
/// timeout to end an application while a preparation is in flight.
func initiatorClock(_ config: GridConfig) -> GridConfig {
    var config = config
    config.execTimeoutScope = .execution
    return config
}
