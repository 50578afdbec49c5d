import Model

/// Pairs each operation's action with its completion event and follows every VM's state,
/// for `ActivityReplay`. Open operations are kept per track (a VM, or a node for objects run
/// without a VM); each track holds a handful at most, so lookups are linear.
struct ActivityBuilder {
    struct Open {
        var operation: Activity.Operation
        var label: String
        var startSeconds: Double
        var ticket: UInt32
        var object: Int32
        var write: KeyWrite?
        var app: Int32?
        /// Runs on the guest channel, which serves one call at a time.
        var usesGuestChannel: Bool
        var ids: [Activity.Arg] = []
    }

    private let nodeCount: Int
    private var openOnVM: [[Open]] = []
    private var openOnNode: [[Open]]
    /// When the guest channel of each VM last finished a call.
    private var guestFreeAt: [Double] = []
    private var runningObjects: [Int32] = []
    private var stateOfVM: [VMState?] = []
    private var spansOfVM: [[Activity.StateSpan]] = []
    /// Where each launched object runs: its VM (-1: on the node) and node.
    private var placeOfObject: [Int32: (vm: Int32, node: Int32)] = [:]
    private var slices: [Activity.Slice] = []
    private var instants: [Activity.Instant] = []

    init(nodeCount: Int) {
        self.nodeCount = nodeCount
        openOnNode = Array(repeating: [], count: nodeCount)
    }

    // MARK: Inputs

    mutating func arrived(app: Int32, main: Int32, objects: Int32, at time: Double) {
        instants.append(.init(node: main, vm: nil, label: "app arrives", timeSeconds: time, app: app,
                              ids: [Activity.Arg("objects", objects)]))
    }

    /// A completion or other event, before the plane handles it.
    mutating func delivered(_ event: Event, at time: Double, plane: ControlPlane, touched: inout [Int32]) {
        grow(to: plane.vms.count)
        switch event {
        case .gridStarted, .applicationSubmitted:
            break
        case .messageDelivered(let message):
            touched.append(message.to.index)
        case .hypervisorFinished(let vm, let operation, let ticket, let succeeded):
            touched.append(plane.vms[Int(vm.index)].node.index)
            close(vm: vm.index, at: time, outcome: succeeded ? .succeeded : .failed) {
                $0.ticket == ticket && $0.operation == Self.operation(operation)
            }
            if case .clone(let target) = operation {
                close(vm: target.index, at: time, outcome: succeeded ? .succeeded : .failed) {
                    $0.ticket == ticket && $0.operation == .cloned
                }
            }
        case .addressObtained(let vm, let address, let ticket):
            touched.append(plane.vms[Int(vm.index)].node.index)
            close(vm: vm.index, at: time, outcome: address == nil ? .failed : .succeeded) {
                $0.ticket == ticket && $0.operation == .address
            }
        case .vmKeyFetched(let vm, let ticket, let succeeded):
            touched.append(plane.vms[Int(vm.index)].node.index)
            close(vm: vm.index, at: time, outcome: succeeded ? .succeeded : .failed) {
                $0.ticket == ticket && $0.operation == .keyFetch
            }
        case .keyWritten(let vm, let write, let ticket, let succeeded):
            touched.append(plane.vms[Int(vm.index)].node.index)
            close(vm: vm.index, at: time, outcome: succeeded ? .succeeded : .failed) {
                $0.ticket == ticket && $0.operation == .keyWrite && $0.write == write
            }
        case .objectLaunched(let object, let succeeded):
            guard let place = placeOfObject[object.index] else { break }
            touched.append(place.node)
            let app = plane.objects[Int(object.index)].app.index
            close(place, at: time, outcome: succeeded ? .succeeded : .failed) {
                $0.operation == .launch && $0.object == object.index
            }
            if succeeded {
                open(place, Open(operation: .object, label: "object", startSeconds: time,
                                 ticket: 0, object: object.index, app: app, usesGuestChannel: false,
                                 ids: [Activity.Arg("object", object.index)]))
                if place.vm >= 0 { runningObjects[Int(place.vm)] += 1 }
            }
        case .objectFinished(let object, let succeeded):
            guard let place = placeOfObject[object.index] else { break }
            touched.append(place.node)
            objectStopped(object.index, place, at: time, outcome: succeeded ? .succeeded : .failed)
        case .timerFired(let alarm):
            switch alarm {
            case .reservationExpiry(let object, _), .execTimeout(let object, _):
                if let node = plane.objects[Int(object.index)].node { touched.append(node.index) }
                touched.append(plane.apps[Int(plane.objects[Int(object.index)].app.index)].main.index)
            case .idleTimeout(let vm, _), .addressWaitOver(let vm, _), .recycleRetry(let vm, _):
                touched.append(plane.vms[Int(vm.index)].node.index)
            case .discoveryWait(let app, _), .errorPauseOver(let app), .roundTimeout(let app, _):
                touched.append(plane.apps[Int(app.index)].main.index)
            }
        case .applicationCrashed(let app):
            let main = plane.apps[Int(app.index)].main.index
            touched.append(main)
            instants.append(.init(node: main, vm: nil, label: "main crashes", timeSeconds: time, app: app.index))
        case .vmPowerObserved(let vm, let power):
            let node = plane.vms[Int(vm.index)].node.index
            touched.append(node)
            instants.append(.init(node: node, vm: vm.index, label: "hypervisor reports \(power.rawValue)", timeSeconds: time,
                                  app: nil))
        case .adminRestarted(let node):
            touched.append(node.index)
            instants.append(.init(node: node.index, vm: nil, label: "admin VM restarts", timeSeconds: time, app: nil))
        }
    }

    /// An action the plane emitted while handling an event at `time`.
    mutating func performed(_ action: Action, at time: Double, plane: ControlPlane, touched: inout [Int32]) {
        grow(to: plane.vms.count)
        func holderApp(_ vm: VMID) -> Int32? {
            if case .application(let app) = plane.vms[Int(vm.index)].holder { return app.index }
            return plane.vms[Int(vm.index)].preparation?.app.index
        }
        switch action {
        case .send, .startTimer:
            break
        case .hypervisor(let vm, let operation, let ticket):
            touched.append(plane.vms[Int(vm.index)].node.index)
            var ids: [Activity.Arg] = []
            if case .clone(let target) = operation {
                ids = [Activity.Arg("target", target.index)]
                open(vm: target.index, Open(operation: .cloned, label: "cloned", startSeconds: time,
                                            ticket: ticket, object: -1, app: nil, usesGuestChannel: false,
                                            ids: [Activity.Arg("source", vm.index)]))
            }
            open(vm: vm.index, Open(operation: Self.operation(operation), label: operation.name, startSeconds: time,
                                    ticket: ticket, object: -1, app: holderApp(vm), usesGuestChannel: false, ids: ids))
        case .obtainAddress(let vm, let renewal, let ticket):
            touched.append(plane.vms[Int(vm.index)].node.index)
            // A DHCP server that is down never answers: the wait is over when a new one starts.
            close(vm: vm.index, at: time, outcome: .abandoned) { $0.operation == .address }
            open(vm: vm.index, Open(operation: .address, label: "address (\(renewal.rawValue))", startSeconds: time,
                                    ticket: ticket, object: -1, app: holderApp(vm), usesGuestChannel: renewal == .none))
        case .fetchVMKey(let vm, let ticket):
            touched.append(plane.vms[Int(vm.index)].node.index)
            open(vm: vm.index, Open(operation: .keyFetch, label: "own key fetch", startSeconds: time, ticket: ticket,
                                    object: -1, app: holderApp(vm), usesGuestChannel: true))
        case .writeKey(let vm, let write, let ticket):
            touched.append(plane.vms[Int(vm.index)].node.index)
            let kind: String
            let owner: Activity.Arg
            switch write.kind {
            case .requester(let object): kind = "requester"; owner = Activity.Arg("object", object.index)
            case .mainNode(let app): kind = "main node"; owner = Activity.Arg("keyApp", app.index)
            case .admin(let node): kind = "admin"; owner = Activity.Arg("keyNode", node.index)
            case .worker(let vm): kind = "own key"; owner = Activity.Arg("keyVM", vm.index)
            case .node(let node): kind = "node key"; owner = Activity.Arg("keyNode", node.index)
            }
            open(vm: vm.index, Open(operation: .keyWrite, label: "key write: \(kind)", startSeconds: time, ticket: ticket,
                                    object: -1, write: write, app: write.app?.index, usesGuestChannel: true,
                                    ids: [owner]))
        case .launchObject(let object, let app, let node, let vm, _):
            let place = (vm: vm?.index ?? -1, node: node.index)
            placeOfObject[object.index] = place
            touched.append(node.index)
            open(place, Open(operation: .launch, label: "launch object", startSeconds: time, ticket: 0,
                             object: object.index, app: app.index, usesGuestChannel: false,
                             ids: [Activity.Arg("object", object.index)]))
        case .killObject(let object, let node, _):
            touched.append(node.index)
            guard let place = placeOfObject[object.index] else { break }
            close(place, at: time, outcome: .killed) { $0.operation == .launch && $0.object == object.index }
            objectStopped(object.index, place, at: time, outcome: .killed)
        case .defineVM(_, let node, _):
            touched.append(node.index)
        case .report(let report):
            switch report {
            case .applicationFinished(let app, let succeeded, let reason):
                let main = plane.apps[Int(app.index)].main.index
                let how = succeeded ? "completes" : "fails (\(reason?.rawValue ?? "unknown"))"
                instants.append(.init(node: main, vm: nil, label: "app \(how)", timeSeconds: time, app: app.index))
            case .vmReserved(let vm, let app):
                let node = plane.vms[Int(vm.index)].node.index
                touched.append(node)
                instants.append(.init(node: node, vm: vm.index, label: "reserved", timeSeconds: time,
                                      app: app.index))
            case .vmFreed(let vm):
                let node = plane.vms[Int(vm.index)].node.index
                touched.append(node)
                instants.append(.init(node: node, vm: vm.index, label: "freed", timeSeconds: time, app: nil))
            case .cloneStarted(let source, let target):
                touched.append(plane.vms[Int(source.index)].node.index)
                touched.append(plane.vms[Int(target.index)].node.index)
            case .cloneFinished(let target, _):
                touched.append(plane.vms[Int(target.index)].node.index)
            case .keyDropped, .applicationQueued, .reservationExpired, .nodeLoad, .discoveryMessage, .neighbourRemoved,
                 .objectRunning, .vmKeyAccepted, .brokerOvercounted:
                break
            }
        }
    }

    /// Recomputes the state of every VM on the nodes an event touched (a node's services
    /// change only their own VMs).
    mutating func refresh(nodes: [Int32], at time: Double, plane: ControlPlane) {
        grow(to: plane.vms.count)
        var seen: [Int32] = []
        for node in nodes where !seen.contains(node) {
            seen.append(node)
            for vm in plane.workers(on: NodeID(Int(node))) {
                let i = Int(vm.index)
                setState(i, Self.state(of: plane.vms[i], runningObjects: runningObjects[i]), at: time)
            }
        }
    }

    mutating func finish(at end: Double, plane: ControlPlane, truncated: Bool) -> Activity {
        grow(to: plane.vms.count)
        for i in openOnVM.indices {
            for o in openOnVM[i] { slices.append(slice(o, vm: Int32(i), node: plane.vms[i].node.index, end: end, .unfinished)) }
            openOnVM[i] = []
            setState(i, nil, at: end)
        }
        for n in openOnNode.indices {
            for o in openOnNode[n] { slices.append(slice(o, vm: nil, node: Int32(n), end: end, .unfinished)) }
            openOnNode[n] = []
        }
        let vms = plane.vms.indices.map { i in
            Activity.VM(id: Int32(i), node: plane.vms[i].node.index, ordinal: plane.vms[i].ordinal, spans: spansOfVM[i])
        }
        let kept = slices.filter { $0.startSeconds <= end }.map { s -> Activity.Slice in
            var s = s
            s.endSeconds = min(s.endSeconds, end)
            if let vm = s.vm { s.node = plane.vms[Int(vm)].node.index }
            return s
        }
        return Activity(nodeCount: nodeCount, vms: vms, slices: kept, instants: instants.filter { $0.timeSeconds <= end },
                        endSeconds: end, truncated: truncated)
    }

    // MARK: State

    static func state(of vm: WorkerVM, runningObjects: Int32) -> VMState? {
        switch vm.holder {
        case .discarded: return nil
        case .beingCloned, .cloneSource: return .cloning
        case .free, .application: break
        }
        if let preparation = vm.preparation {
            switch preparation.step {
            case .reverting: return .reverting
            case .waking: return .waking
            case .obtainingAddress: return .address
            case .fetchingOwnKey, .writingKeys: return .keys
            }
        }
        if let maintenance = vm.maintenance {
            switch maintenance.operation {
            case .revert: return .reverting
            case .boot, .resume: return .waking
            case .suspend, .shutdown: return .stopping
            case .clone: return .cloning
            }
        }
        if runningObjects > 0 { return .running }
        if case .application = vm.holder { return .reserved }
        switch vm.power {
        case .off: return .off
        case .suspended: return .suspended
        case .running: return .free
        }
    }

    private mutating func setState(_ i: Int, _ state: VMState?, at time: Double) {
        guard state != stateOfVM[i] else { return }
        if stateOfVM[i] != nil, var last = spansOfVM[i].popLast() {
            last.toSeconds = time
            // A state that lasted no time (several changes in one instant) leaves no span.
            if last.toSeconds > last.fromSeconds { spansOfVM[i].append(last) }
        }
        stateOfVM[i] = state
        guard let state else { return }
        if var previous = spansOfVM[i].last, previous.state == state, previous.toSeconds == time {
            previous.toSeconds = .infinity
            spansOfVM[i][spansOfVM[i].count - 1] = previous
        } else {
            spansOfVM[i].append(.init(state: state, fromSeconds: time, toSeconds: .infinity))
        }
    }

    // MARK: Slices

    static func operation(_ operation: HypervisorOperation) -> Activity.Operation {
        switch operation {
        case .revert: .revert
        case .suspend: .suspend
        case .shutdown: .shutdown
        case .boot: .boot
        case .resume: .resume
        case .clone: .clone
        }
    }

    private mutating func grow(to count: Int) {
        while openOnVM.count < count {
            openOnVM.append([])
            guestFreeAt.append(0)
            runningObjects.append(0)
            stateOfVM.append(nil)
            spansOfVM.append([])
        }
    }

    private mutating func open(vm: Int32, _ operation: Open) { openOnVM[Int(vm)].append(operation) }

    private mutating func open(_ place: (vm: Int32, node: Int32), _ operation: Open) {
        if place.vm >= 0 { open(vm: place.vm, operation) } else { openOnNode[Int(place.node)].append(operation) }
    }

    private mutating func close(vm: Int32, at time: Double, outcome: Activity.Outcome, where matches: (Open) -> Bool) {
        let i = Int(vm)
        while let k = openOnVM[i].firstIndex(where: matches) {
            var operation = openOnVM[i].remove(at: k)
            if operation.usesGuestChannel {
                // The guest serves one call at a time: a call issued while another ran started when it ended.
                operation.startSeconds = min(time, max(operation.startSeconds, guestFreeAt[i]))
                guestFreeAt[i] = time
            }
            slices.append(slice(operation, vm: vm, node: -1, end: time, outcome))
            if outcome != .abandoned { break }
        }
    }

    private mutating func close(_ place: (vm: Int32, node: Int32), at time: Double, outcome: Activity.Outcome,
                                where matches: (Open) -> Bool) {
        if place.vm >= 0 { return close(vm: place.vm, at: time, outcome: outcome, where: matches) }
        let n = Int(place.node)
        guard let k = openOnNode[n].firstIndex(where: matches) else { return }
        let operation = openOnNode[n].remove(at: k)
        slices.append(slice(operation, vm: nil, node: place.node, end: time, outcome))
    }

    private mutating func objectStopped(_ object: Int32, _ place: (vm: Int32, node: Int32), at time: Double,
                                        outcome: Activity.Outcome) {
        let wasOpen = place.vm >= 0
            ? openOnVM[Int(place.vm)].contains { $0.operation == .object && $0.object == object }
            : openOnNode[Int(place.node)].contains { $0.operation == .object && $0.object == object }
        guard wasOpen else { return }
        close(place, at: time, outcome: outcome) { $0.operation == .object && $0.object == object }
        if place.vm >= 0 { runningObjects[Int(place.vm)] -= 1 }
    }

    private func slice(_ o: Open, vm: Int32?, node: Int32, end: Double, _ outcome: Activity.Outcome) -> Activity.Slice {
        Activity.Slice(node: node, vm: vm, operation: o.operation, label: o.label, startSeconds: o.startSeconds,
                       endSeconds: max(end, o.startSeconds), outcome: outcome, app: o.app, ids: o.ids)
    }
}
