import Model

/// Watches a run from the world's side and from Model's state, and records every violation
/// of an `Invariant`. Cheap enough to run always: O(1) per event and action, plus a ring of
/// recent events for the report.
struct InvariantChecker {
    /// Per VM: the application whose objects run in it now, and how many.
    private var hostedApp: [Int32] = []
    private var hostedCount: [Int32] = []
    /// Per VM: the application it last served, and whether it was reverted since.
    private var lastApp: [Int32] = []
    private var revertedSinceLastApp: [Bool] = []
    /// Per VM: the applications whose keys are in its authorized_keys (few; revert clears them).
    private var guestKeys: [[Int32]] = []
    private var recent: [(time: Double, event: Event)]
    private var recentCursor = 0
    private let recentCapacity = 256
    /// At most this many violations are kept per invariant (the count goes on).
    private let keptPerInvariant = 20
    private(set) var violations: [InvariantViolation] = []
    private(set) var counts: [Invariant: Int] = [:]

    init() {
        recent = []
        recent.reserveCapacity(recentCapacity)
    }

    var violationCount: Int { counts.values.reduce(0, +) }

    mutating func vmDefined() {
        hostedApp.append(-1)
        hostedCount.append(0)
        lastApp.append(-1)
        revertedSinceLastApp.append(true)
        guestKeys.append([])
    }

    mutating func record(time: Double, _ event: Event) {
        if recent.count < recentCapacity {
            recent.append((time, event))
        } else {
            recent[recentCursor] = (time, event)
            recentCursor = (recentCursor + 1) % recentCapacity
        }
    }

    // MARK: World observations

    /// Only a revert cleans a VM: a boot or resume leaves its guest as it was, so if Model ever woke a VM an
    /// application had used, the next application's objects would break `cleanState` (and its keys `keyRouting`).
    mutating func reverted(_ vm: Int) {
        revertedSinceLastApp[vm] = true
        if !guestKeys[vm].isEmpty { guestKeys[vm].removeAll(keepingCapacity: true) }
    }

    /// An object of `app` starts running in VM `ranIn` (which may differ from the VM Model meant).
    mutating func objectStarted(_ object: ObjectID, app: AppID, intended: VMID, ranIn: Int, holder: VMHolder,
                                time: Double) {
        let a = app.index
        if hostedCount[ranIn] > 0 && hostedApp[ranIn] != a {
            violate(.isolation, time, "vm\(ranIn) app\(a) app\(hostedApp[ranIn])",
                    "\(object) of app\(a) runs in vm\(ranIn), which already hosts objects of app\(hostedApp[ranIn])")
        }
        if holder != .application(app) {
            let how = ranIn == Int(intended.index) ? "" : " (launched at a stale address meant for \(intended))"
            violate(.isolation, time, "vm\(ranIn) app\(a)",
                    "\(object) of app\(a) runs in vm\(ranIn), which is \(describe(holder))\(how)")
        }
        if lastApp[ranIn] != a && lastApp[ranIn] >= 0 && !revertedSinceLastApp[ranIn] {
            violate(.cleanState, time, "vm\(ranIn) app\(a) app\(lastApp[ranIn])",
                    "vm\(ranIn) serves app\(a) without a revert since it served app\(lastApp[ranIn])")
        }
        if lastApp[ranIn] != a { revertedSinceLastApp[ranIn] = false }
        lastApp[ranIn] = a
        hostedApp[ranIn] = a
        hostedCount[ranIn] += 1
    }

    mutating func objectStopped(ranIn: Int) {
        hostedCount[ranIn] -= 1
        precondition(hostedCount[ranIn] >= 0, "vm\(ranIn) hosts a negative number of objects")
        if hostedCount[ranIn] == 0 { hostedApp[ranIn] = -1 }
    }

    mutating func keyWritten(_ vm: VMID, _ write: KeyWrite, holder: VMHolder, time: Double) {
        guard let app = write.app else { return }
        switch write.kind {
        case .admin:
            return
        case .requester, .mainNode:
            if holder != .application(app) {
                violate(.keyRouting, time, "vm\(vm.index) app\(app.index)",
                        "a key of app\(app.index) was written to vm\(vm.index), which is \(describe(holder))")
            }
            if !guestKeys[Int(vm.index)].contains(app.index) { guestKeys[Int(vm.index)].append(app.index) }
        }
    }

    mutating func brokerOvercounted(_ node: NodeID, time: Double) {
        violate(.accounting, time, "node\(node.index)",
                "node\(node.index) gave the central broker back more jobs than the broker had placed there")
    }

    /// An admin VM accepts only the confidence link's keys (report §7).
    mutating func keyAccepted(_ vm: VMID, app: AppID, at host: KeyHost, time: Double) {
        guard case .adminVM(let node) = host else { return }
        violate(.keyRouting, time, "vm\(vm.index) app\(app.index) node\(node.index)",
                "the admin VM of node\(node.index) accepted the key of vm\(vm.index) (app\(app.index)): an admin VM "
                    + "accepts only the confidence link's keys")
    }

    mutating func vmFreed(_ vm: VMID, running: Bool, time: Double) {
        let keys = guestKeys[Int(vm.index)]
        guard running, !keys.isEmpty else { return }
        violate(.keyRouting, time, "vm\(vm.index) " + keys.map { "app\($0)" }.joined(separator: " "),
                "vm\(vm.index) is free and running with keys of " + keys.map { "app\($0)" }.joined(separator: ", ")
                    + " still in its authorized_keys")
    }

    // MARK: Model state

    mutating func checkAccounting(_ plane: ControlPlane, node: NodeID, time: Double) {
        let jobs = plane.jobs(on: node)
        let capacity = plane.maxJobs(on: node)
        let advertised = plane.advertisedFreeJobs(on: node)
        if jobs < 0 || jobs > capacity {
            violate(.accounting, time, "node\(node.index)", "JobMgr holds \(jobs) jobs, capacity \(capacity)")
        } else if advertised != capacity - jobs {
            violate(.accounting, time, "node\(node.index)",
                    "SearchNode advertises \(advertised) free jobs, JobMgr has \(capacity - jobs) free")
        } else if advertised < 0 {
            violate(.accounting, time, "node\(node.index)", "SearchNode advertises \(advertised) free jobs")
        }
        let free = plane.freeWorkerCounts(on: node)
        if free.kept != free.counted {
            violate(.accounting, time, "node\(node.index)",
                    "JobMgr counts \(free.kept) free workers, its workers say \(free.counted)")
        }
    }

    /// The run drained: nothing is left to happen.
    mutating func checkDrained(_ plane: ControlPlane, time: Double) {
        for (i, vm) in plane.vms.enumerated() {
            switch vm.holder {
            case .free, .discarded:
                break
            case .application(let app):
                if plane.apps[Int(app.index)].isFinished {
                    violate(.noLeaks, time, "vm\(i) app\(app.index)", "vm\(i) is still reserved for finished app\(app.index)")
                }
            case .cloneSource, .beingCloned:
                violate(.noLeaks, time, "vm\(i)", "vm\(i) is still \(describe(vm.holder)) with no clone in progress")
            }
        }
        for (i, object) in plane.objects.enumerated() {
            switch object.host {
            case .reserved, .failed:
                if plane.apps[Int(object.app.index)].isFinished {
                    violate(.noLeaks, time, "obj\(i) app\(object.app.index)",
                            "obj\(i) of finished app\(object.app.index) still holds a reservation")
                }
            case .waitingForVM, .writingKey, .launching:
                violate(.liveness, time, "obj\(i) app\(object.app.index)", "obj\(i) is still \(object.host)")
            case .none, .running, .finished, .released:
                break
            }
        }
        for (i, app) in plane.apps.enumerated() where !app.isFinished {
            violate(.liveness, time, "app\(i)", "app\(i) never completed nor failed (it is \(app.state))")
        }
    }

    // MARK: Reporting

    private mutating func violate(_ invariant: Invariant, _ time: Double, _ entities: String, _ detail: String) {
        counts[invariant, default: 0] += 1
        guard counts[invariant]! <= keptPerInvariant else { return }
        violations.append(InvariantViolation(invariant: invariant, timeSeconds: time, entities: entities,
                                             detail: detail, recentEvents: recentEvents(mentioning: entities)))
    }

    /// The last events (at most 12) that mention one of `entities` ("vm3 app7 node1 obj2"),
    /// newest last. Matching is structural, so only the lines kept are formatted.
    private func recentEvents(mentioning entities: String) -> [String] {
        var wanted: [EventEntity] = []
        for name in entities.split(separator: " ") {
            for kind in [EventEntity.Kind.vm, .app, .node, .object] where name.hasPrefix(kind.rawValue) {
                if let id = Int32(name.dropFirst(kind.rawValue.count)) { wanted.append(EventEntity(kind: kind, id: id)) }
            }
        }
        var picked: [(time: Double, event: Event)] = []
        let n = recent.count
        var k = 0
        while k < n && picked.count < 12 {
            // Newest first: the slot before the cursor, walking back.
            let index = (recentCursor - 1 - k + 2 * n) % n
            let entry = recent[index]
            if EventEntity.of(entry.event).contains(where: wanted.contains) { picked.append(entry) }
            k += 1
        }
        return picked.reversed().map { "t=\($0.time) \($0.event)" }
    }

    private func describe(_ holder: VMHolder) -> String {
        switch holder {
        case .free: "free"
        case .application(let app): "reserved for app\(app.index)"
        case .cloneSource: "held by the cloner"
        case .beingCloned: "being cloned"
        case .discarded: "discarded"
        }
    }
}

/// An entity an event is about, for picking the events behind a violation.
struct EventEntity: Equatable {
    enum Kind: String { case vm, app, node, object = "obj" }
    var kind: Kind
    var id: Int32

    static func of(_ event: Event) -> [EventEntity] {
        func vm(_ v: VMID) -> EventEntity { EventEntity(kind: .vm, id: v.index) }
        func app(_ a: AppID) -> EventEntity { EventEntity(kind: .app, id: a.index) }
        func obj(_ o: ObjectID) -> EventEntity { EventEntity(kind: .object, id: o.index) }
        func node(_ n: NodeID) -> EventEntity { EventEntity(kind: .node, id: n.index) }
        switch event {
        case .gridStarted: return []
        case .applicationSubmitted: return []
        case .applicationCrashed(let a): return [app(a)]
        case .vmPowerObserved(let v, _): return [vm(v)]
        case .adminRestarted(let n): return [node(n)]
        case .hypervisorFinished(let v, let op, _, _):
            if case .clone(let target) = op { return [vm(v), vm(target)] }
            return [vm(v)]
        case .addressObtained(let v, _, _), .vmKeyFetched(let v, _, _): return [vm(v)]
        case .keyWritten(let v, let write, _, _): return [vm(v)] + (write.app.map { [app($0)] } ?? [])
        case .objectLaunched(let o, _), .objectFinished(let o, _): return [obj(o)]
        case .timerFired(let alarm):
            switch alarm {
            case .discoveryWait(let a, _), .errorPauseOver(let a), .roundTimeout(let a, _): return [app(a)]
            case .reservationExpiry(let o, _), .execTimeout(let o, _): return [obj(o)]
            case .idleTimeout(let v, _), .addressWaitOver(let v, _), .recycleRetry(let v, _): return [vm(v)]
            }
        case .messageDelivered(let m):
            let nodes = [node(m.from), node(m.to)]
            switch m.body {
            case .placeObjects(let a, _), .objectsPlaced(let a, _), .applicationEnded(let a, _):
                return nodes + [app(a)]
            case .discoveryRequest(_, let a, _, _), .discoveryReply(_, let a, _, _):
                return nodes + [app(a)]
            case .reserve(let a, let o, _, _, _), .reserveAnswered(let a, let o, _), .execute(let a, let o),
                 .objectStarted(let a, let o, _), .objectFailed(let a, let o, _), .objectCompleted(let a, let o),
                 .cancelObject(let a, let o):
                return nodes + [app(a), obj(o)]
            case .routeVMKey(let a, let v):
                return nodes + [app(a), vm(v)]
            case .capacityReleased, .vmAdded:
                return nodes
            }
        }
    }
}
