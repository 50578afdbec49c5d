import Model
import Sim

/// What a real run observes, told to the simulator's own trace recorder and invariant checker: every event Model
/// gets (with the model time it gets it at), each application's times, and the world as libvirt, the guests and
/// the object runner report it. Power is what the driver's own hypervisor calls returned and what libvirt's
/// lifecycle events said of changes made outside the run; an object runs in the worker that answers at the address
/// it was launched at; a key is in a guest when the guest's `authorized_keys`, read back after the write, holds it.
/// It decides nothing: Model decides, the world answers, this only watches both.
struct RunObservation {
    private var recorder: TraceRecorder
    private var checker = InvariantChecker()
    private(set) var applicationTimes: [ApplicationTimes] = []
    /// Each worker's power as observed, by VM index.
    private(set) var power: [PowerState] = []
    /// Objects launched that have not reported their start: the VM Model meant and the worker at the address.
    private var launches: [ObjectID: (app: AppID, intended: VMID, answering: VMID?)] = [:]
    /// Objects that started, by the index of the worker they run in.
    private var runningIn: [ObjectID: Int] = [:]
    /// Per VM, Model's holder of it at each key write issued and not yet returned (calls on one VM return in order).
    private var keyWriteHolders: [VMID: [VMHolder]] = [:]
    /// `--sample-every`: the simulator's series writer, fed the observed power (no DHCP server: leases unknown).
    private let series: RunSeries?

    init(scenario: Scenario, initialVMs: Int, traceSink: TraceSink?, series: RunSeries? = nil) {
        self.series = series
        recorder = TraceRecorder(sink: traceSink)
        recorder.begin(scenario: scenario)
        if !scenario.grid.mode.usesWorkerVMs { checker.gatingResources = scenario.objectRequirements }
        for _ in 0..<initialVMs {
            checker.vmDefined()
            power.append(.off)
        }
    }

    // MARK: Model's side

    /// `event` reaches Model at `time` (before Model handles it).
    mutating func delivered(_ event: Event, at time: Double, plane: ControlPlane) {
        recorder.record(time: time, event)
        checker.record(time: time, event)
        ApplicationTimes.noteActivity(event, at: time, in: plane, of: &applicationTimes)
    }

    /// Model handled `event`: the accounting it may have changed.
    mutating func handled(_ event: Event, at time: Double, plane: ControlPlane) {
        guard let node = InvariantChecker.accountingNode(touchedBy: event, in: plane) else { return }
        checker.checkAccounting(of: node, in: plane, time: time)
    }

    mutating func arrived(_ index: Int, at time: Double) {
        recorder.recordArrival(time: time, index: Int32(index))
        applicationTimes.append(ApplicationTimes(submittedAt: time, lastActivity: time))
    }

    /// The first Reserve of an application places it.
    mutating func sent(_ message: Message, at time: Double) {
        guard case .reserve(let app, _, _, _, _) = message.body,
              applicationTimes[Int(app.index)].placedAt.isNaN else { return }
        applicationTimes[Int(app.index)].placedAt = time
    }

    mutating func defined(_ vm: VMID, on node: NodeID, plane: ControlPlane, maxVMs: Int32, at time: Double) {
        precondition(Int(vm.index) == power.count, "VMs are defined in order")
        checker.vmDefined()
        power.append(.off)
        checker.checkWorkerLimit(defined: vm, on: node, in: plane, maxVMs: maxVMs, time: time)
    }

    /// `hostKey`: a worker's SSH host key as read from its guest (nil: not read yet).
    mutating func reported(_ report: Report, at time: Double, plane: ControlPlane, hostKey: (VMID) -> String?) {
        switch report {
        case .applicationFinished(let app, _, let reason):
            applicationTimes[Int(app.index)].finishedAt = time
            applicationTimes[Int(app.index)].failure = reason
        case .applicationQueued(let app):
            // As in the simulator: waiting in the broker's queue is never judged silent.
            applicationTimes[Int(app.index)].lastActivity = .infinity
        case .vmFreed(let vm):
            checker.vmFreed(vm, running: power[Int(vm.index)] == .running, time: time)
        case .vmKeyAccepted(let vm, let app, let host):
            checker.keyAccepted(vm, app: app, at: host, time: time)
        case .brokerOvercounted(let node):
            checker.brokerOvercounted(node, time: time)
        case .vmReserved(let vm, let app):
            checkHostKey(of: vm, servingApp: app, at: time, plane: plane, hostKey: hostKey)
        case .objectRunning, .cloneStarted, .cloneFinished, .keyDropped, .reservationExpired, .nodeLoad,
             .discoveryMessage, .neighbourRemoved:
            break
        }
    }

    // MARK: The world's side

    mutating func power(of vm: VMID, is state: PowerState) {
        power[Int(vm.index)] = state
    }

    /// A revert returned success: the guest is its clean snapshot again.
    mutating func reverted(_ vm: VMID) {
        checker.reverted(Int(vm.index))
    }

    /// Model launches `object` for `vm`; `answering` is the worker that answers at the address it launches at.
    mutating func launching(_ object: ObjectID, app: AppID, in vm: VMID, answering: VMID?) {
        launches[object] = (app, vm, answering)
    }

    /// The runner reports the object started: it runs where the launch reached.
    mutating func started(_ object: ObjectID, at time: Double, plane: ControlPlane) {
        guard let launch = launches.removeValue(forKey: object), let ranIn = launch.answering else { return }
        checker.objectStarted(object, app: launch.app, intended: launch.intended, ranIn: Int(ranIn.index),
                              holder: plane.vms[Int(ranIn.index)].holder, time: time)
        runningIn[object] = Int(ranIn.index)
    }

    /// The object ended, was killed, failed to start or died with its worker.
    mutating func stopped(_ object: ObjectID) {
        launches.removeValue(forKey: object)
        if let ranIn = runningIn.removeValue(forKey: object) { checker.objectStopped(ranIn: ranIn) }
    }

    mutating func keyWriteIssued(_ vm: VMID, holder: VMHolder) {
        keyWriteHolders[vm, default: []].append(holder)
    }

    /// A key write returned: `guestHolds` is what the guest's `authorized_keys` held afterwards (nil: the call
    /// failed). The key counts as written only if the guest holds it, judged against Model's holder when it was
    /// issued (as the simulator judges it).
    mutating func keyWriteReturned(_ vm: VMID, _ write: KeyWrite, guestHolds held: [KeyWrite]?, at time: Double) {
        guard var holders = keyWriteHolders[vm], !holders.isEmpty else { return }
        let holder = holders.removeFirst()
        keyWriteHolders[vm] = holders
        guard let held, held.contains(write) else { return }
        checker.keyWritten(vm, write, holder: holder, time: time)
    }

    /// The worker's host key was just read: it may be another live worker's.
    mutating func hostKeyRead(of vm: VMID, at time: Double, plane: ControlPlane, hostKey: (VMID) -> String?) {
        guard case .application(let app) = plane.vms[Int(vm.index)].holder else { return }
        checkHostKey(of: vm, servingApp: app, at: time, plane: plane, hostKey: hostKey)
    }

    /// As the simulator compares them: the node's other workers serving other applications.
    private mutating func checkHostKey(of vm: VMID, servingApp app: AppID, at time: Double, plane: ControlPlane,
                                       hostKey: (VMID) -> String?) {
        guard let key = hostKey(vm) else { return }
        for other in plane.workers(on: plane.vms[Int(vm.index)].node) where other != vm && hostKey(other) == key {
            if case .application(let owner) = plane.vms[Int(other.index)].holder, owner != app {
                checker.hostKeyShared(vm, app: app, with: other, app: owner, time: time)
            }
        }
    }

    // MARK: Series

    /// The observed world as a series sees it: the power the driver knows; no lease (no DHCP server to ask).
    private struct SeriesView: SeriesWorld {
        let power: [PowerState]
        func power(ofVM index: Int) -> PowerState? { index < power.count ? power[index] : nil }
        func lease(ofVM index: Int) -> SeriesLease { .unknown }
    }

    /// The driver is about to handle an input at model time `time`: the samples due before it, from the state
    /// every earlier input left.
    func sample(before time: Double, plane: ControlPlane) {
        series?.sample(before: time, plane: plane, world: SeriesView(power: power))
    }

    /// The run ended at `time`: the samples due at it or before.
    func sample(through time: Double, plane: ControlPlane) {
        series?.sample(through: time, plane: plane, world: SeriesView(power: power))
    }

    // MARK: The end

    mutating func stalled(at time: Double, detail: String) {
        checker.runStalled(time: time, detail: detail)
    }

    /// The end checks (a run that did not complete is judged as cut short at `stopSeconds`, like a simulated run
    /// at its stop time), then the violations and the trace digest go into `metrics`.
    mutating func finish(_ plane: ControlPlane, drained: Bool, endSeconds: Double, stopSeconds: Double,
                         metrics: inout Metrics) {
        checker.checkEnd(plane, drained: drained, endSeconds: endSeconds, stopSeconds: stopSeconds,
                         settleSeconds: Simulation.defaultSettleSeconds, applications: applicationTimes)
        metrics.violations = checker.violations
        metrics.violationCounts = checker.counts
        metrics.digest = recorder.finish(metrics: metrics)
    }

    /// `--out`'s tables: Model's final plane, the observed power, and each VM's running and reserved time.
    func tables(_ plane: ControlPlane, metrics: RealMetrics) -> RunTables {
        let vms = power.indices.map { i in
            RunTables.VM(power: power[i], runningSeconds: metrics.runningSeconds(of: i),
                         reservedSeconds: metrics.reservedSeconds(of: i))
        }
        return RunTables(plane: plane, applicationTimes: applicationTimes, vms: vms)
    }
}

extension PowerState {
    /// A domain's libvirt state as Model's power: paused is suspended; anything not running or paused is off.
    init(domainState: DomainState) {
        switch domainState {
        case .running: self = .running
        case .paused: self = .suspended
        case .shutoff, .crashed, .other: self = .off
        }
    }

    /// A worker's power once `operation` succeeded on it (a clone leaves its source off).
    init(after operation: HypervisorOperation) {
        switch operation {
        case .revert, .boot, .resume: self = .running
        case .suspend: self = .suspended
        case .shutdown, .clone: self = .off
        }
    }
}
