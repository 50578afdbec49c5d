import Model

/// Watches a run from the world's side and from Model's state, and records every violation
/// of an `Invariant`. Cheap enough to run always: O(1) per event and action, plus a ring of
/// recent events for the report. The simulator and the real driver feed the same checker (`package`): each
/// tells it what its world did, the simulated one's or the one libvirt and the guests report.
package struct InvariantChecker {
    /// Per VM: what runs in its guest, whom it served last and whose keys it holds.
    private var guests: [GuestWatch] = []
    /// The last `recentCapacity` events, a ring filled from the start; `recentWritten` counts every
    /// event recorded (its low bits are the next slot).
    private var recent: [(time: Double, event: Event)]
    private var recentWritten = 0
    private static let recentCapacity = 256
    /// The world's last changes (leases, lost and duplicated messages), a ring like `recent`.
    private var worldRecent: [(time: Double, change: WorldChange)] = []
    private var worldWritten = 0
    private static let worldCapacity = 64
    /// Lines shown per violation: Model's events, and the world's changes beside them.
    private static let shownEvents = 16
    private static let shownWorldChanges = 6
    /// At most this many violations are kept per invariant (the count goes on).
    private let keptPerInvariant = 20
    package private(set) var violations: [InvariantViolation] = []
    package private(set) var counts: [Invariant: Int] = [:]

    package init() {
        recent = Array(repeating: (0, .gridStarted), count: Self.recentCapacity)
    }

    package var violationCount: Int { counts.values.reduce(0, +) }

    package mutating func vmDefined() {
        guests.append(GuestWatch())
    }

    package mutating func record(time: Double, _ event: Event) {
        recent[recentWritten & (Self.recentCapacity - 1)] = (time, event)
        recentWritten &+= 1
    }

    /// The world changed in a way no Model event says (a race's usual cause).
    package mutating func worldChanged(_ change: WorldChange, at time: Double) {
        if worldRecent.count < Self.worldCapacity {
            worldRecent.append((time, change))
        } else {
            worldRecent[worldWritten & (Self.worldCapacity - 1)] = (time, change)
        }
        worldWritten &+= 1
    }

    // MARK: World observations

    /// Only a revert cleans a VM: a boot or resume leaves its guest as it was, so if Model ever woke a VM an
    /// application had used, the next application's objects would break `cleanState` (and its keys `keyRouting`).
    package mutating func reverted(_ vm: Int) {
        guests[vm].revertedSinceLastApp = true
        if !guests[vm].keys.isEmpty { guests[vm].keys.removeAll(keepingCapacity: true) }
    }

    /// An object of `app` starts running in VM `ranIn` (which may differ from the VM Model meant).
    package mutating func objectStarted(_ object: ObjectID, app: AppID, intended: VMID, ranIn: Int, holder: VMHolder,
                                time: Double, stale: StaleLaunch? = nil) {
        let a = app.index
        let guest = guests[ranIn]
        if guest.hostedCount > 0 && guest.hostedApp != a {
            violate(.isolation, time, "vm\(ranIn) app\(a) app\(guest.hostedApp)",
                    "\(object) of app\(a) runs in vm\(ranIn), which already hosts objects of app\(guest.hostedApp)")
        }
        if holder != .application(app) {
            let how = ranIn == Int(intended.index) ? ""
                : stale?.explanation(intended: intended, ranIn: ranIn)
                    ?? " (launched at a stale address meant for \(intended))"
            let also = ranIn == Int(intended.index) ? "" : " \(intended) \(object)"
            violate(.isolation, time, "vm\(ranIn) app\(a)" + also,
                    "\(object) of app\(a) runs in vm\(ranIn), which is \(describe(holder))\(how)")
        }
        if guest.lastApp != a && guest.lastApp >= 0 && !guest.revertedSinceLastApp {
            violate(.cleanState, time, "vm\(ranIn) app\(a) app\(guest.lastApp)",
                    "vm\(ranIn) serves app\(a) without a revert since it served app\(guest.lastApp)")
        }
        if guest.lastApp != a { guests[ranIn].revertedSinceLastApp = false }
        guests[ranIn].lastApp = a
        guests[ranIn].hostedApp = a
        guests[ranIn].hostedCount += 1
    }

    package mutating func objectStopped(ranIn: Int) {
        guests[ranIn].hostedCount -= 1
        precondition(guests[ranIn].hostedCount >= 0, "vm\(ranIn) hosts a negative number of objects")
        if guests[ranIn].hostedCount == 0 { guests[ranIn].hostedApp = -1 }
    }

    package mutating func keyWritten(_ vm: VMID, _ write: KeyWrite, holder: VMHolder, time: Double) {
        guard let app = write.app else { return }
        switch write.kind {
        case .admin:
            return
        case .requester, .mainNode, .worker, .node:
            if holder != .application(app) {
                violate(.keyRouting, time, "vm\(vm.index) app\(app.index)",
                        "a key of app\(app.index) was written to vm\(vm.index), which is \(describe(holder))")
            }
            if !guests[Int(vm.index)].keys.contains(app.index) { guests[Int(vm.index)].keys.append(app.index) }
        }
    }

    package mutating func brokerOvercounted(_ node: NodeID, time: Double) {
        violate(.accounting, time, "node\(node.index)",
                "node\(node.index) gave the central broker back more jobs than the broker had placed there")
    }

    /// An admin VM accepts only the confidence link's keys (report §7).
    package mutating func keyAccepted(_ vm: VMID, app: AppID, at host: KeyHost, time: Double) {
        guard case .adminVM(let node) = host else { return }
        violate(.keyRouting, time, "vm\(vm.index) app\(app.index) node\(node.index)",
                "the admin VM of node\(node.index) accepted the key of vm\(vm.index) (app\(app.index)): an admin VM "
                    + "accepts only the confidence link's keys")
    }

    /// A worker returned to FREE. The world has already applied the operation that freed it (a
    /// recycle revert cleared the checker's keys, a failed one did not).
    package mutating func vmFreed(_ vm: VMID, running: Bool, time: Double) {
        let keys = guests[Int(vm.index)].keys
        guard running, !keys.isEmpty else { return }
        violate(.freeWorkerKeys, time, "vm\(vm.index) " + keys.map { "app\($0)" }.joined(separator: " "),
                "vm\(vm.index) is free and running with keys of " + keys.map { "app\($0)" }.joined(separator: ", ")
                    + " still in its authorized_keys")
    }

    /// A worker was defined on `node` (a clone requested): `existing` counts the node's workers
    /// defined so far that are not discarded, this one included.
    package mutating func workerDefined(_ vm: VMID, on node: NodeID, existing: Int32, maxVMs: Int32, time: Double) {
        guard existing > maxVMs else { return }
        violate(.maxVMs, time, "node\(node.index) vm\(vm.index)",
                "node\(node.index) has \(existing) workers with vm\(vm.index), over its maxVMs of \(maxVMs)")
    }

    /// `vm`, now serving `app`, answers with the same SSH host key as `other`, serving `otherApp`:
    /// either can pass for the other (report: clones share their source's host keys).
    package mutating func hostKeyShared(_ vm: VMID, app: AppID, with other: VMID, app otherApp: AppID, time: Double) {
        violate(.hostKeys, time, "vm\(vm.index) vm\(other.index) app\(app.index) app\(otherApp.index)",
                "vm\(vm.index) (app\(app.index)) and vm\(other.index) (app\(otherApp.index)) share one SSH host key")
    }

    // MARK: Model state

    /// The resources the SearchNode's advertisement must match the JobMgr's on: those some object
    /// asks for, in the builds where they gate discovery (standard and secure; the virtual builds
    /// answer with `checkVM` alone, so what they advertise decides nothing).
    package var gatingResources = Resources.none

    /// A node's JobMgr jobs and capacity, its SearchNode's job count and advertised resources
    /// against the JobMgr's available ones, and its kept and counted free workers.
    package mutating func checkAccounting(node: NodeID, jobs: Int32, capacity: Int32, searchNodeJobs: Int32,
                                  advertised: Resources, available: Resources,
                                  freeWorkers free: (kept: Int32, counted: Int32), time: Double) {
        if jobs < 0 || jobs > capacity {
            violate(.accounting, time, "node\(node.index)", "JobMgr holds \(jobs) jobs, capacity \(capacity)")
        } else if searchNodeJobs != jobs {
            violate(.accounting, time, "node\(node.index)",
                    "SearchNode counts \(searchNodeJobs) jobs, JobMgr holds \(jobs)")
        } else if !gatingResources.isNone && advertised != available {
            let g = gatingResources
            var wrong: [String] = []
            if g.powerMflops > 0 && advertised.powerMflops != available.powerMflops {
                wrong.append("power \(advertised.powerMflops) MFlops (JobMgr has \(available.powerMflops))")
            }
            if g.memoryMB > 0 && advertised.memoryMB != available.memoryMB {
                wrong.append("memory \(advertised.memoryMB) MB (JobMgr has \(available.memoryMB))")
            }
            if g.bandwidthMbps > 0 && advertised.bandwidthMbps != available.bandwidthMbps {
                wrong.append("bandwidth \(advertised.bandwidthMbps) Mbit/s (JobMgr has \(available.bandwidthMbps))")
            }
            if !wrong.isEmpty {
                violate(.accounting, time, "node\(node.index)", "SearchNode advertises " + wrong.joined(separator: ", "))
            }
        }
        if free.kept != free.counted {
            violate(.accounting, time, "node\(node.index)",
                    "JobMgr counts \(free.kept) free workers, its workers say \(free.counted)")
        }
    }

    /// The end of a run: noLeaks and liveness, for what had time to settle.
    ///
    /// A drained run (nothing left to happen) is judged whole: `settledBy` is infinity. A run cut
    /// short by `duration` or `--until` at `time` is judged only for what settled by `settledBy`
    /// (the stop minus the settle margin): a VM or reservation still held for an application
    /// that finished by then leaks; an unfinished application, or an object of it still waiting
    /// for its VM, key or launch, is hung if no event concerned it (nor its objects) since then
    /// and none of its objects runs (a running object's end is still to come); one waiting in
    /// the central broker's queue is not judged. A clone source or target with no clone in
    /// progress or waiting on its node leaks whenever the run ends.
    package mutating func checkEnd(_ plane: ControlPlane, time: Double, settledBy: Double, applications: [ApplicationTimes]) {
        let drained = settledBy == .infinity
        if !plane.holderTableMatchesWorkers() {
            violate(.accounting, time, "", "JobMgr's dense holder table disagrees with its workers' records")
        }
        func finishedBy(_ app: AppID) -> Bool {
            guard plane.apps[Int(app.index)].isFinished else { return false }
            return drained || applications[Int(app.index)].finishedAt <= settledBy
        }
        for (i, vm) in plane.vms.enumerated() {
            switch vm.holder {
            case .free, .discarded:
                break
            case .application(let app):
                if finishedBy(app) {
                    violate(.noLeaks, time, "vm\(i) app\(app.index)", "vm\(i) is still reserved for finished app\(app.index)")
                }
            case .cloneSource, .beingCloned:
                if drained || plane.clonerQueue(on: vm.node) == 0 {
                    violate(.noLeaks, time, "vm\(i)", "vm\(i) is still \(describe(vm.holder)) with no clone in progress")
                }
            }
        }
        // Cut short: an application is hung if it was silent since `settledBy` with no object running.
        var hung = [Bool](repeating: drained, count: drained ? 0 : plane.apps.count)
        if !drained {
            for (i, app) in plane.apps.enumerated() where !app.isFinished && applications[i].lastActivity <= settledBy {
                hung[i] = !app.objects().contains { plane.objects[Int($0)].host == .running }
            }
        }
        func judged(_ app: AppID) -> Bool { drained || hung[Int(app.index)] }
        for (i, object) in plane.objects.enumerated() {
            switch object.host {
            case .reserved, .failed:
                if finishedBy(object.app) {
                    violate(.noLeaks, time, "obj\(i) app\(object.app.index)",
                            "obj\(i) of finished app\(object.app.index) still holds a reservation")
                }
            case .waitingForVM, .writingKey, .launching:
                if judged(object.app) {
                    // The VM it waits on is named too, so its address troubles are among the last events.
                    let vm = object.vm.map { " \($0)" } ?? ""
                    violate(.liveness, time, "obj\(i) app\(object.app.index)" + vm, "obj\(i) is still \(object.host)")
                }
            case .none, .running, .finished, .released:
                break
            }
        }
        for (i, app) in plane.apps.enumerated() where !app.isFinished && judged(AppID(i)) {
            let silent = drained ? "" : " and nothing happened to it since \(EventText.time(applications[i].lastActivity))"
            violate(.liveness, time, "app\(i)", "app\(i) never completed nor failed (it is \(app.state))\(silent)")
        }
    }

    /// A run stopped because it made no progress (see `Simulation.maxEventsWithoutProgress`).
    package mutating func runStalled(time: Double, detail: String) {
        violate(.liveness, time, "grid", detail)
    }

    // MARK: Reporting

    private mutating func violate(_ invariant: Invariant, _ time: Double, _ entities: String, _ detail: String) {
        counts[invariant, default: 0] += 1
        guard counts[invariant]! <= keptPerInvariant else { return }
        violations.append(InvariantViolation(invariant: invariant, timeSeconds: time, entities: entities,
                                             detail: detail, recentEvents: recentEvents(mentioning: entities)))
    }

    /// The last events (at most `shownEvents`) that mention one of `entities` ("vm3 app7 node1 obj2"), the world's
    /// changes to them (leases, lost messages) among them, newest last. Matching is structural, so only the lines
    /// kept are formatted.
    private func recentEvents(mentioning entities: String) -> [String] {
        var wanted: [EventEntity] = []
        for name in entities.split(separator: " ") {
            for kind in [EventEntity.Kind.vm, .app, .node, .object] where name.hasPrefix(kind.rawValue) {
                if let id = Int32(name.dropFirst(kind.rawValue.count)) { wanted.append(EventEntity(kind: kind, id: id)) }
            }
        }
        // A node touches nearly every message: name nodes only when nothing finer was named.
        if wanted.contains(where: { $0.kind != .node }) { wanted.removeAll { $0.kind == .node } }
        var picked: [(time: Double, order: Int, line: String)] = []
        let n = min(recentWritten, Self.recentCapacity)
        var k = 0
        var found = 0
        while k < n && found < Self.shownEvents {
            // Newest first: the slot before the next one, walking back.
            let entry = recent[(recentWritten - 1 - k) & (Self.recentCapacity - 1)]
            if EventEntity.of(entry.event).contains(where: wanted.contains) {
                picked.append((entry.time, 2 * k + 1, EventText.line(time: entry.time, entry.event)))
                found += 1
            }
            k += 1
        }
        var changes: [(time: Double, order: Int, line: String)] = []
        for (i, entry) in worldRecent.enumerated() where entry.change.entities.contains(where: wanted.contains) {
            // A world change comes before the Model event at the same time that it caused (order: lower is later).
            let age = (worldWritten - 1 - i + worldRecent.count) % max(worldRecent.count, 1)
            changes.append((entry.time, 2 * n + 2 + age, EventText.time(entry.time).leftPadded(13) + "  "
                + entry.change.text))
        }
        changes.sort { $0.time != $1.time ? $0.time > $1.time : $0.order < $1.order }
        picked += changes.prefix(Self.shownWorldChanges)
        picked.sort { $0.time != $1.time ? $0.time > $1.time : $0.order < $1.order }
        return picked.reversed().map(\.line)
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
            case .placeObjects(let a, _), .objectsPlaced(let a, _), .applicationEnded(let a, _, _):
                return nodes + [app(a)]
            case .discoveryRequest(_, let a, _, _), .discoveryReply(_, let a, _, _):
                return nodes + [app(a)]
            case .reserve(let a, let o, _, _, _), .reserveAnswered(let a, let o, _), .execute(let a, let o),
                 .objectStarted(let a, let o, _), .objectFailed(let a, let o, _), .objectCompleted(let a, let o),
                 .cancelObject(let a, let o, _):
                return nodes + [app(a), obj(o)]
            case .routeVMKey(let a, let v):
                return nodes + [app(a), vm(v)]
            case .capacityReleased, .vmAdded:
                return nodes
            }
        }
    }
}

/// What the checker knows of one VM's guest, in one record: an object start or stop touches one
/// cache line instead of one per field.
private struct GuestWatch {
    /// The application whose objects run in it now (-1: none), and how many.
    var hostedApp: Int32 = -1
    var hostedCount: Int32 = 0
    /// The application it last served, and whether it was reverted since.
    var lastApp: Int32 = -1
    var revertedSinceLastApp = true
    /// The applications whose keys are in its authorized_keys (few; a revert clears them).
    var keys: [Int32] = []
}

extension MessageBody {
    /// The application a message is about (-1: none, a capacity message to the broker).
    @inline(__always)
    var application: Int32 {
        switch self {
        case .placeObjects(let app, _), .objectsPlaced(let app, _), .discoveryRequest(_, let app, _, _),
             .discoveryReply(_, let app, _, _), .reserve(let app, _, _, _, _), .reserveAnswered(let app, _, _),
             .execute(let app, _), .objectStarted(let app, _, _), .objectFailed(let app, _, _),
             .objectCompleted(let app, _), .cancelObject(let app, _, _), .applicationEnded(let app, _, _),
             .routeVMKey(let app, _):
            return app.index
        case .capacityReleased, .vmAdded:
            return -1
        }
    }
}
