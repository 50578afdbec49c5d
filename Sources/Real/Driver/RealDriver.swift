import CLibvirt
import Model
import Sim

/// Runs a scenario's applications through the same `ControlPlane` as the simulator, on a wall clock, with
/// libvirt as the hypervisor: the one place in Real that turns Model's actions into effects and feeds their
/// completions back as events. It decides nothing Model decides.
///
/// Threads. `run()` makes the calling thread the loop: Model lives there and only there. The loop takes work
/// from one FIFO inbox (service messages, completions, runner reports, stop requests) and from wall-clock timers
/// (Model's alarms, arrivals, object ends). Blocking calls (libvirt, the guest channel) run on a small work pool,
/// one lane per worker VM so a VM's calls stay in order, and post their completions, with the action's ticket,
/// back to the inbox. Service messages are delivered in process through the same inbox.
///
/// Power. The driver subscribes to libvirt's lifecycle events on its connection; an event on a worker that none
/// of its own calls caused (`LifecycleWatch`) reaches Model as `.vmPowerObserved`, and a worker that stopped takes
/// its objects with it.
///
/// Time. Model's clock is the wall time since the start divided by `timeScale`; Model's timers, arrival gaps and
/// object compute times are multiplied by it.
///
/// `@unchecked Sendable` so that `stop(reason:)` can be called from a signal handler's queue: every mutable
/// property is touched only by the thread inside `run()`; `stop` touches only `loop` (whose inbox is locked) and
/// `stopRequest` (a `Locked`).
public final class RealDriver: @unchecked Sendable {
    public let scenario: Scenario
    public let options: RealRunOptions
    public let guestChannel: GuestChannel
    /// Called on the loop thread for every report Model emits. Set before `run()`.
    public var onReport: (@Sendable (Report) -> Void)?

    private let runner: ObjectRunner
    private let keySource: KeySource
    private var connection: LibvirtConnection?
    private let ownsConnection: Bool
    private let isTestDriver: Bool
    private let loop = EventLoop<DriverInput>()
    private let pool: BlockingWorkPool
    private let stopRequest = Locked<String?>(nil)
    private let handle: DriverLoop
    private let lifecycle: LifecycleWatch
    private var lifecycleSubscription: LifecycleSubscription?

    private var plane: ControlPlane
    private var inventory = WorkerInventory()
    private var workload: RealWorkload
    private var metrics = RealMetrics()
    private var actions = ActionBatch(capacity: 64)
    private var batch: [DriverInput] = []
    /// Compute time of each object, model seconds, indexed by ObjectID.
    private var objectSeconds: [Double] = []
    /// Objects launched and not yet finished or killed, with their VM.
    private var liveObjects: [ObjectID: VMID?] = [:]
    private var keyWrites: [RealRunResult.KeyWriteRecord] = []
    private var powerObservations: [RealRunResult.PowerObservation] = []
    /// Blocking calls submitted whose completion the loop has not handled yet.
    private var pendingCalls = 0
    private var workloadExhausted = false
    private var nextArrivalModelSeconds = 0.0
    private var started: ContinuousClock.Instant
    private var hasRun = false
    /// Every action Model emits, with the model time of the event that caused it (the same log as Sim's).
    private let decisions: DecisionLog?
    /// The model time Model was last handed (an event or a submission): the time its actions are logged at.
    private var decisionModelSeconds = 0.0
    /// Lockstep mode's schedule and pending completions (nil: Model's clock is the wall clock).
    private var lockstep: Lockstep?
    /// The simulator's trace (`--trace`, `--perfetto` and the digest) and invariant checker, fed with what libvirt,
    /// the guests and the runner report (`RunObservation`).
    private var observation: RunObservation
    /// `--sample-every`: the observation samples before each input (nothing is read when off).
    private let hasSeries: Bool

    /// `connection`: an open connection to use (and leave open); nil opens `options.uri` when the run starts and
    /// closes it at the end. `guestChannel` and `runner` default to the in-process ones; `keySource` to
    /// deterministic identities (`Ed25519KeySource` makes real keys).
    public init(scenario: Scenario, options: RealRunOptions = RealRunOptions(), connection: LibvirtConnection? = nil,
                guestChannel: GuestChannel = SimulatedGuestChannel(), runner: ObjectRunner = TimerObjectRunner(),
                keySource: KeySource = IdentityKeySource(), decisions: DecisionLog? = nil, traceSink: TraceSink? = nil,
                series: RunSeries? = nil)
        throws(RealRunError)
    {
        if let problem = options.problem() { throw .badInput(problem) }
        if let problem = scenario.grid.problem() { throw .badInput("scenario \(scenario.name): \(problem)") }
        self.scenario = scenario
        self.options = options
        self.guestChannel = guestChannel
        self.runner = runner
        self.keySource = keySource
        self.decisions = decisions
        self.connection = connection
        ownsConnection = connection == nil
        isTestDriver = TestDriverWorkers.isTestDriver(uri: connection?.uri ?? options.uri)
        pool = BlockingWorkPool(threadCount: options.workerThreads, name: "visag-real-pool")
        handle = DriverLoop(loop: loop, pool: pool, timeScale: options.timeScale)
        lifecycle = LifecycleWatch(settleWallSeconds: options.lifecycleSettleWallSeconds)
        plane = ControlPlane(config: scenario.grid)
        workload = RealWorkload(scenario: scenario)
        observation = RunObservation(scenario: scenario, initialVMs: plane.vms.count, traceSink: traceSink,
                                     series: series)
        hasSeries = series != nil
        started = loop.clock.now
        if options.lockstep {
            var problems = LockstepSchedule.problems(of: scenario)
            if !(guestChannel is SimulatedGuestChannel) || !(runner is TimerObjectRunner) {
                problems.append("guests: lockstep times the in-process guests and runner only (--guests simulated)")
            }
            if !problems.isEmpty {
                throw .badInput("scenario \(scenario.name) cannot run in lockstep: " + problems.joined(separator: "; "))
            }
            lockstep = Lockstep(schedule: LockstepSchedule(scenario: scenario, initialNodes: plane.vms.map(\.node)),
                                initialVMs: plane.vms.count)
        }
    }

    deinit {
        pool.shutdown()
    }

    /// Asks the run to stop: running objects are killed, every worker the run touched is reverted to its clean
    /// snapshot, and `run()` returns. Any thread; what a SIGINT or SIGTERM handler calls.
    public func stop(reason: String) {
        stopRequest.withLock { if $0 == nil { $0 = reason } }
        loop.post(.stop(reason))
    }

    /// Runs the scenario to its end on the calling thread and returns what happened. Throws only when the run
    /// cannot start (connection, worker VMs); failures later end the run with clean-up and `.failed`.
    public func run() throws(RealRunError) -> RealRunResult {
        precondition(!hasRun, "a RealDriver runs once")
        hasRun = true
        let wallStart = loop.clock.now
        let connection = try openConnection()
        defer { if ownsConnection { connection.close() } }
        do {
            inventory = try WorkerInventory.open(plane: plane, connection: connection, createMissing: isTestDriver,
                                                 log: options.log)
        } catch let error as RealRunError {
            throw error
        } catch {
            throw .workers("\(error)")
        }
        started = loop.clock.now
        recoverWorkers()
        watchLifecycleEvents(connection)

        var outcome: RealRunResult.Outcome?
        if let reason = stopRequest.withLock({ $0 }) { outcome = .stopped(reason) }
        var leftovers: [DriverInput] = []
        if outcome == nil {
            handleModel(.gridStarted)
            scheduleWorkload()
        }
        if let lockstep, outcome == nil {
            (outcome, leftovers) = runLockstep(lockstep)
        }
        while outcome == nil {
            let othersMayPost = pendingCalls > 0 || runner.activeObjects > 0
            guard loop.nextBatch(into: &batch, othersMayPost: othersMayPost) else {
                outcome = stalled()
                break
            }
            for (position, item) in batch.enumerated() {
                if let end = process(item) {
                    outcome = end
                    leftovers = Array(batch[(position + 1)...])
                    break
                }
            }
            if outcome == nil, isQuiescent { outcome = .completed }
        }
        return finish(outcome ?? .completed, leftovers: leftovers, connection: connection, wallStart: wallStart)
    }

    // MARK: Start-up

    private func openConnection() throws(RealRunError) -> LibvirtConnection {
        if let connection { return connection }
        do {
            let opened = try LibvirtConnection(uri: options.uri, username: options.credentials?.username,
                                               password: options.credentials?.password)
            connection = opened
            return opened
        } catch let error as LibvirtError {
            throw .connection(error.description)
        } catch {
            throw .connection("could not connect to \(options.uri): \(error)")
        }
    }

    /// A run after a crash starts clean: every worker found that Model will not revert itself at start-up (all
    /// of them when the scenario turns the start-up revert off, and those the scenario does not know) is reverted
    /// now, before Model starts. Workers made for this run were just snapshotted.
    private func recoverWorkers() {
        let modelReverts = scenario.grid.revertWorkersAtStartup
        for worker in inventory.workers where !modelReverts && !worker.createdByRun {
            guard let domain = worker.domain else { continue }
            let (error, wallSeconds) = revertNow(domain)
            inventory.record(worker.vm, operation: .revert, origin: .recovery, succeeded: error == nil,
                             wallSeconds: wallSeconds, error: error)
            if error == nil { guestChannel.hypervisorDidReset(worker.guest, .reverted) }
        }
        for domain in inventory.extras {
            let (error, wallSeconds) = revertNow(domain)
            inventory.recordExtraRevert(domain, succeeded: error == nil, wallSeconds: wallSeconds, error: error)
        }
        for worker in inventory.workers {
            let state = try? worker.domain?.state()
            observation.power(of: worker.vm, is: state.map(PowerState.init(domainState:)) ?? .off)
            if state == .running {
                metrics.power(of: worker.vm, running: true, now: 0)
            }
        }
    }

    /// From here on, power changes of the workers that the driver did not cause reach Model. A hypervisor that
    /// cannot report events only loses that.
    private func watchLifecycleEvents(_ connection: LibvirtConnection) {
        for worker in inventory.workers where worker.domain != nil { lifecycle.watch(worker.name, as: worker.vm) }
        let lifecycle = self.lifecycle
        let loop = self.loop
        do {
            lifecycleSubscription = try connection.onLifecycleEvent { name, event, _ in
                guard let change = lifecycle.classify(domainName: name, event: event) else { return }
                loop.post(.powerObserved(change.vm, change.power))
            }
        } catch {
            options.log.line("no lifecycle events from \(options.uri) (\(Self.describe(error))): power changes made "
                             + "outside this run go unnoticed")
        }
    }

    private func stopWatchingLifecycleEvents(_ connection: LibvirtConnection) {
        lifecycle.close()
        guard let subscription = lifecycleSubscription else { return }
        lifecycleSubscription = nil
        do { try connection.cancelLifecycleEvents(subscription) } catch { options.log.line(Self.describe(error)) }
    }

    /// A revert on this thread (start-up and clean-up only, when the loop is not running). Logs a failure.
    private func revertNow(_ domain: LibvirtDomain) -> (error: String?, wallSeconds: Double) {
        let issued = loop.clock.now
        var failure: String?
        do { try HypervisorCalls.revert(domain) } catch { failure = Self.describe(error) }
        if let failure { options.log.line(failure) }
        return (failure, WallTime.seconds(issued.duration(to: loop.clock.now)))
    }

    private func scheduleWorkload() {
        if let lockstep {
            // As `Simulation` schedules them; the run's length is the simulator's too (`runLockstep`).
            if let first = workload.firstArrivalModelSeconds() {
                lockstep.engine.schedule(.arrival(0), at: first)
            } else {
                workloadExhausted = true
            }
            return
        }
        if let first = workload.firstArrivalModelSeconds() {
            nextArrivalModelSeconds = first
            loop.schedule(.arrival(0), at: wallInstant(modelSeconds: first))
        } else {
            workloadExhausted = true
        }
        if let limit = options.untilModelSeconds ?? scenario.durationSeconds {
            loop.schedule(.limitReached, at: wallInstant(modelSeconds: limit))
        }
    }

    // MARK: The loop

    private var modelNow: Double {
        if let lockstep { return lockstep.engine.now }
        return WallTime.seconds(started.duration(to: loop.clock.now)) / options.timeScale
    }

    private func wallInstant(modelSeconds: Double) -> ContinuousClock.Instant {
        started + WallTime.duration(seconds: modelSeconds * options.timeScale)
    }

    private func modelSeconds(since issued: ContinuousClock.Instant) -> Double {
        wallSeconds(since: issued) / options.timeScale
    }

    private func wallSeconds(since issued: ContinuousClock.Instant) -> Double {
        WallTime.seconds(issued.duration(to: loop.clock.now))
    }

    /// Handles one input; returns how the run ends if it ends here.
    private func process(_ item: DriverInput) -> RealRunResult.Outcome? {
        if hasSeries { observation.sample(before: modelNow, plane: plane) }
        switch item {
        case .model(let event):
            observeRunnerEvent(event)
            handleModel(event)
        case .arrival(let index):
            arrive(index)
        case .hypervisorDone(let done):
            pendingCalls -= 1
            if done.connectionLost {
                if let error = done.error { options.log.line(error) }
                recordHypervisor(done)
                return .failed("lost the connection to \(options.uri)")
            }
            hypervisorFinished(done)
        case .guestDone(let done):
            pendingCalls -= 1
            guestFinished(done)
        case .powerObserved(let vm, let power):
            powerObserved(vm, power)
        case .call(let body):
            body()
        case .limitReached:
            return .limitReached
        case .stop(let reason):
            return .stopped(reason)
        }
        return nil
    }

    /// Every event reaches Model here, with the model time Model gets: the trace and the checker see the same.
    /// The grid starts at model time 0, as in the simulator (and, like there, is not an event of the trace).
    private func handleModel(_ event: Event) {
        metrics.modelEventHandled()
        var now = 0.0
        if case .gridStarted = event {} else {
            now = modelNow
            observation.delivered(event, at: now, plane: plane)
        }
        decisionModelSeconds = now
        plane.handle(event, now: now)
        performPendingActions()
        observation.handled(event, at: now, plane: plane)
    }

    private func performPendingActions() {
        while plane.hasPendingActions {
            plane.drainActions(into: &actions)
            for action in actions { perform(action) }
        }
    }

    /// Done when every application has arrived and finished, nothing is in flight, and Model has no VM
    /// operation or clone outstanding. Stale timers left in the heap (Model would ignore them) do not hold the
    /// run open; nor do idle timeouts of free VMs.
    private var isQuiescent: Bool {
        guard workloadExhausted, metrics.finishedApplications == metrics.metrics.applicationsSubmitted,
              pendingCalls == 0, runner.activeObjects == 0, loop.inboxIsEmpty else { return false }
        for vm in plane.vms where vm.maintenance != nil || vm.preparation != nil { return false }
        for node in 0..<plane.nodeCount where plane.clonerQueue(on: NodeID(node)) > 0 { return false }
        return true
    }

    /// The run can make no progress: a failure, and a liveness violation as in the simulator.
    private func stalled() -> RealRunResult.Outcome {
        let unfinished = metrics.metrics.applicationsSubmitted - metrics.finishedApplications
        let busy = plane.vms.filter { $0.maintenance != nil || $0.preparation != nil }.count
        let detail = "stalled: nothing left to wait for, with \(unfinished) application(s) unfinished and \(busy) VM(s) "
            + "mid-operation in Model"
        observation.stalled(at: modelNow, detail: detail)
        return .failed(detail)
    }

    // MARK: Workload

    private func arrive(_ index: Int) {
        let arrival = workload.arrive(index, nowModelSeconds: nextArrivalModelSeconds)
        let now = modelNow
        objectSeconds.append(contentsOf: arrival.objectSeconds)
        metrics.applicationSubmitted(objects: arrival.objectSeconds.count, now: now)
        observation.arrived(index, at: now)
        decisionModelSeconds = now
        let app = plane.submitApplication(main: arrival.main, objects: Int32(arrival.objectSeconds.count),
                                          requirements: scenario.objectRequirements, now: now)
        precondition(Int(app.index) == metrics.metrics.applicationsSubmitted - 1
                     && Int(plane.apps[Int(app.index)].firstObject.index) == objectSeconds.count - arrival.objectSeconds.count,
                     "application and object ids follow the workload")
        if let next = arrival.nextArrivalModelSeconds {
            nextArrivalModelSeconds = next
            loop.schedule(.arrival(index + 1), at: wallInstant(modelSeconds: next))
        } else {
            workloadExhausted = true
        }
        performPendingActions()
    }

    // MARK: Actions to effects

    private func perform(_ action: Action) {
        decisions?.record(action, modelSeconds: decisionModelSeconds)
        if let lockstep, performedInLockstep(action, lockstep) { return }
        switch action {
        case .send(let message):
            metrics.sent(message, now: modelNow)
            observation.sent(message, at: modelNow)
            loop.post(.model(.messageDelivered(message)))
        case .startTimer(let alarm, let afterSeconds):
            loop.schedule(.model(.timerFired(alarm)), afterWallSeconds: afterSeconds * options.timeScale)
        case .hypervisor(let vm, let operation, let ticket):
            startHypervisor(vm, operation, ticket: ticket)
        case .obtainAddress(let vm, let renewal, let ticket):
            startGuest(vm, ticket: ticket, operation: "read the address") { channel, guest in
                .address(try channel.obtainAddress(of: guest, renewal: renewal))
            }
        case .fetchVMKey(let vm, let ticket):
            startGuest(vm, ticket: ticket, operation: "fetch the VM key", request: .fetchKey) { channel, guest in
                .vmKey(try channel.fetchVMKey(of: guest))
            }
        case .writeKey(let vm, let write, let ticket):
            startKeyWrite(vm, write, ticket: ticket)
        case .launchObject(let object, let app, let node, let vm, let address):
            // Faithful mode may launch an object again (an orphan of a given-up round): count it once.
            objectStopped(object)
            if let vm { inventory.objectLaunched(on: vm, app: app) }
            liveObjects[object] = vm
            if let vm {
                let answering = worker(answeringAt: address)
                if answering != vm { metrics.misdirectedLaunch() }
                observation.launching(object, app: app, in: vm, answering: answering)
            }
            let launch = ObjectLaunch(object: object, app: app, node: node, vm: vm, address: address,
                                      guest: vm.flatMap(inventory.guest(of:)),
                                      computeModelSeconds: objectSeconds[Int(object.index)])
            runner.launch(launch, loop: handle)
        case .killObject(let object, _, _):
            runner.kill(object, loop: handle)
            objectStopped(object)
        case .defineVM(let vm, let node, let ordinal):
            inventory.define(vm, on: node, ordinal: ordinal)
            observation.defined(vm, on: node, plane: plane, maxVMs: scenario.grid.nodes[Int(node.index)].maxVMs,
                                 at: decisionModelSeconds)
        case .report(let report):
            if case .vmReserved(let vm, _) = report { inventory.touch(vm) }
            metrics.observe(report, now: modelNow) { plane.vms[Int($0.index)].holder }
            observation.reported(report, at: modelNow, plane: plane, hostKey: inventory.hostKey(of:))
            onReport?(report)
        }
    }

    private func startHypervisor(_ vm: VMID, _ operation: HypervisorOperation, ticket: UInt32, call: Int = -1) {
        inventory.touch(vm)
        pendingCalls += 1
        let issued = loop.clock.now
        let loop = self.loop
        guard let domain = inventory.domain(of: vm), let connection else {
            let error = "no libvirt domain behind \(vm) (\(inventory.name(of: vm))) to \(operation.name)"
            loop.post(.hypervisorDone(HypervisorCompletion(vm: vm, operation: operation, ticket: ticket, issued: issued,
                                                           error: error, clone: nil, connectionLost: false, call: call)))
            return
        }
        let channel = guestChannel
        let shutdownWait = options.shutdownWaitWallSeconds
        let source = inventory.guest(of: vm)
        let target: GuestTarget?
        let targetName: String
        var affected = [vm]
        switch operation {
        case .clone(let targetVM):
            target = inventory.guest(of: targetVM)
            targetName = inventory.name(of: targetVM)
            // The clone's own events (defined, started) are the driver's too.
            lifecycle.watch(targetName, as: targetVM)
            affected.append(targetVM)
        case .revert, .suspend, .shutdown, .boot, .resume:
            target = nil
            targetName = ""
        }
        let lifecycle = self.lifecycle
        let calledAbout = affected
        for vm in calledAbout { lifecycle.callStarted(vm) }
        pool.submit(lane: Int(vm.index)) {
            var clone: LibvirtDomain?
            var failure: String?
            var lost = false
            do {
                switch operation {
                case .revert: try HypervisorCalls.revert(domain)
                case .suspend: try HypervisorCalls.suspend(domain)
                case .shutdown: try HypervisorCalls.shutdown(domain, waitWallSeconds: shutdownWait)
                case .boot: try HypervisorCalls.boot(domain)
                case .resume: try HypervisorCalls.resume(domain)
                case .clone:
                    clone = try HypervisorCalls.clone(domain, as: targetName, in: connection,
                                                      shutdownWaitWallSeconds: shutdownWait)
                }
                if let source { channel.hypervisorDidReset(source, HypervisorCalls.guestReset(after: operation)) }
                if let source, let target { channel.hypervisorDidReset(target, .clonedFrom(source)) }
            } catch {
                failure = Self.describe(error)
                lost = Self.isConnectionFailure(error) || connection.isClosed
            }
            for vm in calledAbout { lifecycle.callFinished(vm) }
            loop.post(.hypervisorDone(HypervisorCompletion(vm: vm, operation: operation, ticket: ticket, issued: issued,
                                                           error: failure, clone: clone, connectionLost: lost,
                                                           call: call)))
        }
    }

    private func hypervisorFinished(_ done: HypervisorCompletion) {
        let succeeded = done.error == nil
        if let error = done.error { options.log.line(error) }
        recordHypervisor(done)
        let now = modelNow
        if succeeded {
            switch done.operation {
            case .revert:
                // Measured like Sim: reverts a preparation asked for (checked before Model hears of it).
                if let preparation = plane.vms[Int(done.vm.index)].preparation, preparation.step == .reverting,
                   preparation.ticket == done.ticket {
                    metrics.preparationRevert(modelSeconds: modelSeconds(since: done.issued))
                }
                metrics.power(of: done.vm, running: true, now: now)
                observation.reverted(done.vm)
            case .boot, .resume:
                if let preparation = plane.vms[Int(done.vm.index)].preparation, preparation.step == .waking,
                   preparation.ticket == done.ticket {
                    metrics.preparationWoken(by: done.operation, modelSeconds: modelSeconds(since: done.issued))
                }
                metrics.power(of: done.vm, running: true, now: now)
            case .suspend, .shutdown, .clone:
                metrics.power(of: done.vm, running: false, now: now)
            }
            observation.power(of: done.vm, is: PowerState(after: done.operation))
        }
        handleModel(.hypervisorFinished(done.vm, done.operation, ticket: done.ticket, succeeded: succeeded))
    }

    /// Bookkeeping of a hypervisor completion, without Model (also after the loop has stopped).
    private func recordHypervisor(_ done: HypervisorCompletion) {
        if case .clone(let target) = done.operation, let clone = done.clone {
            inventory.attachClone(target, domain: clone)
        }
        inventory.record(done.vm, operation: done.operation, origin: .model, succeeded: done.error == nil,
                         wallSeconds: wallSeconds(since: done.issued), error: done.error)
    }

    private func startGuest(_ vm: VMID, ticket: UInt32, operation: String,
                            request: GuestCompletion.Request = .other, lockstepCall: Int = -1,
                            _ call: @escaping @Sendable (GuestChannel, GuestTarget) throws -> GuestCompletion.Result) {
        inventory.touch(vm)
        pendingCalls += 1
        let issued = loop.clock.now
        let loop = self.loop
        let channel = guestChannel
        guard let guest = inventory.guest(of: vm) else {
            loop.post(.guestDone(GuestCompletion(vm: vm, ticket: ticket, issued: issued, result: nil,
                                                 operation: operation, error: "no worker \(vm) to \(operation)",
                                                 request: request, call: lockstepCall)))
            return
        }
        pool.submit(lane: Int(vm.index)) {
            var result: GuestCompletion.Result?
            var failure: String?
            do { result = try call(channel, guest) } catch { failure = "guest \(guest): \(operation) failed: \(error)" }
            loop.post(.guestDone(GuestCompletion(vm: vm, ticket: ticket, issued: issued, result: result,
                                                 operation: operation, error: failure, request: request, call: lockstepCall)))
        }
    }

    private func startKeyWrite(_ vm: VMID, _ write: KeyWrite, ticket: UInt32, call: Int = -1) {
        metrics.keyWriteIssued()
        let publicKey: String
        do {
            publicKey = try keySource.publicKey(for: write, mainNode: mainNode(of: write))
        } catch {
            // Fails the write the way a failed guest call does; Model decides what follows.
            pendingCalls += 1
            observation.keyWriteIssued(vm, holder: plane.vms[Int(vm.index)].holder)
            loop.post(.guestDone(GuestCompletion(vm: vm, ticket: ticket, issued: loop.clock.now, result: nil,
                                                 operation: "write a key", error: "no key for \(vm): \(error)",
                                                 request: .writeKey(write), call: call)))
            return
        }
        let key = GuestKeyWrite(write: write, publicKey: publicKey)
        observation.keyWriteIssued(vm, holder: plane.vms[Int(vm.index)].holder)
        keyWrites.append(RealRunResult.KeyWriteRecord(vm: vm, domain: inventory.name(of: vm), key: key,
                                                      holder: plane.vms[Int(vm.index)].holder))
        inventory.keyWritten(to: vm)
        startGuest(vm, ticket: ticket, operation: "write a key", request: .writeKey(write), lockstepCall: call) { channel, guest in
            .keyWritten(write, held: try channel.writeKey(key, to: guest))
        }
    }

    /// The application's main node, whose processes requested the objects (only to name the key).
    private func mainNode(of write: KeyWrite) -> NodeID {
        switch write.kind {
        case .requester(let object): plane.apps[Int(plane.objects[Int(object.index)].app.index)].main
        case .mainNode(let app): plane.apps[Int(app.index)].main
        case .admin(let node): write.app.map { plane.apps[Int($0.index)].main } ?? node
        case .worker(let vm): plane.vms[Int(vm.index)].node
        case .node(let node): node
        }
    }

    /// `scheduledAddress`: in lockstep, the address the simulator's DHCP pools give the guest (the in-process
    /// guests have no network of their own).
    private func guestFinished(_ done: GuestCompletion, scheduledAddress: Address?? = nil) {
        if let error = done.error { options.log.line(error) }
        let elapsedModelSeconds = modelSeconds(since: done.issued)
        switch done.result {
        case .address(let address)?:
            metrics.addressRead(modelSeconds: elapsedModelSeconds)
            handleModel(.addressObtained(done.vm, scheduledAddress ?? address?.modelAddress, ticket: done.ticket))
        case .vmKey(let key)?:
            inventory.vmKeyFetched(done.vm, key: key)
            observation.hostKeyRead(of: done.vm, at: modelNow, plane: plane, hostKey: inventory.hostKey(of:))
            handleModel(.vmKeyFetched(done.vm, ticket: done.ticket))
        case .keyWritten(let write, let held)?:
            metrics.keyWritten(modelSeconds: elapsedModelSeconds)
            observation.keyWriteReturned(done.vm, write, guestHolds: held, at: modelNow)
            handleModel(.keyWritten(done.vm, write, ticket: done.ticket))
        case nil:
            switch done.request {
            case .fetchKey: handleModel(.vmKeyFetched(done.vm, ticket: done.ticket, succeeded: false))
            case .writeKey(let write):
                observation.keyWriteReturned(done.vm, write, guestHolds: nil, at: modelNow)
                handleModel(.keyWritten(done.vm, write, ticket: done.ticket, succeeded: false))
            case .other: handleModel(.addressObtained(done.vm, nil, ticket: done.ticket))
            }
        }
    }

    /// Keeps the driver's view of running objects in step with the runner's reports.
    private func observeRunnerEvent(_ event: Event) {
        switch event {
        case .objectLaunched(let object, let succeeded):
            if succeeded {
                observation.started(object, at: modelNow, plane: plane)
            } else {
                objectStopped(object)
            }
        case .objectFinished(let object, _):
            objectStopped(object)
        case .gridStarted, .applicationSubmitted, .messageDelivered, .hypervisorFinished, .addressObtained,
             .vmKeyFetched, .keyWritten, .timerFired, .applicationCrashed, .vmPowerObserved, .adminRestarted:
            break
        }
    }

    private func objectStopped(_ object: ObjectID) {
        observation.stopped(object)
        guard let entry = liveObjects.removeValue(forKey: object) else { return }
        if let vm = entry { inventory.objectStopped(on: vm) }
    }

    /// The hypervisor says a worker's power changed and the driver did not ask for it. A worker that stopped takes
    /// its objects with it, as a crash does: each is stopped in the runner and reported failed (still launching:
    /// the launch failed; running: it ended unsuccessfully), then Model hears of the power change and prepares the
    /// worker from scratch next time. A change Model already knows of (a second event for the same stop) is dropped.
    private func powerObserved(_ vm: VMID, _ power: PowerState) {
        guard Int(vm.index) < plane.vms.count, plane.vms[Int(vm.index)].power != power else { return }
        let was = plane.vms[Int(vm.index)].power
        options.log.line("\(inventory.name(of: vm)) is \(power) (was \(was)): changed outside this run")
        if let guest = inventory.guest(of: vm) {
            switch power {
            case .off: guestChannel.hypervisorDidReset(guest, .poweredOff)
            case .suspended: guestChannel.hypervisorDidReset(guest, .suspended)
            case .running: break
            }
        }
        var dead: [ObjectID] = []
        if power == .off {
            if was == .running { metrics.vmCrashed() }
            dead = liveObjects.compactMap { $0.value == vm ? $0.key : nil }.sorted { $0.index < $1.index }
            for object in dead {
                runner.kill(object, loop: handle)
                objectStopped(object)
                let launching = plane.objects[Int(object.index)].host == .launching
                handleModel(launching ? .objectLaunched(object, succeeded: false)
                                      : .objectFinished(object, succeeded: false))
            }
        }
        powerObservations.append(RealRunResult.PowerObservation(
            vm: vm, domain: inventory.name(of: vm), power: power, previous: was, modelSeconds: modelNow,
            objectsKilled: dead.count))
        observation.power(of: vm, is: power)
        metrics.power(of: vm, running: power == .running, now: modelNow)
        handleModel(.vmPowerObserved(vm, power))
    }

    /// The worker whose guest answers at `address`: each worker is reached at its loopback address (the in-process
    /// guests' and the TCG guests' SSH forwards alike), whatever address its guest last reported.
    private func worker(answeringAt address: Address?) -> VMID? {
        guard let address else { return nil }
        return inventory.workers.first { SimulatedGuestChannel.address(of: $0.guest)?.modelAddress == address }?.vm
    }

    // MARK: Lockstep

    /// The loop of a lockstep run: the next item of the simulator's schedule, once it is due and its call returned.
    private func runLockstep(_ lockstep: Lockstep) -> (RealRunResult.Outcome, [DriverInput]) {
        let limit = options.untilModelSeconds ?? scenario.durationSeconds ?? .infinity
        while true {
            guard let item = lockstep.engine.next(notAfter: limit) else {
                return (lockstep.engine.pending == 0 ? .completed : .limitReached, [])
            }
            if case .leaseCheck(let check) = item {
                // Reaches only the schedule: not paced. A lapse matters once anything later reaches Model.
                if lockstep.lapsedLease == nil, lockstep.schedule.leaseLapses(check) {
                    lockstep.lapsedLease = "lockstep: \(check.vm) has been off for dhcp.lease (\(check.afterSeconds) s) at "
                        + "t=\(lockstep.engine.now) s, where the simulator's DHCP server takes its address back; the "
                        + "in-process guests have no DHCP, so the decisions could differ from here (lengthen dhcp.lease, "
                        + "or set it to never; workers stay off when suspended, shut down, cloned from, or cloned and not yet used)"
                }
                continue
            }
            if let lapsed = lockstep.lapsedLease { return (.refused(lapsed), []) }
            let (end, leftovers) = awaitLockstep(item, lockstep)
            if let end { return (end, leftovers) }
            if hasSeries { observation.sample(before: lockstep.engine.now, plane: plane) }
            switch item {
            case .model(let event):
                observeRunnerEvent(event)
                handleModel(event)
            case .arrival(let index):
                arriveInLockstep(index, lockstep)
            case .hypervisor(let call):
                guard case .hypervisorDone(let done)? = lockstep.completions.removeValue(forKey: call) else {
                    preconditionFailure("lockstep call \(call) is not a hypervisor call")
                }
                if done.connectionLost {
                    if let error = done.error { options.log.line(error) }
                    recordHypervisor(done)
                    return (.failed("lost the connection to \(options.uri)"), [])
                }
                if done.error == nil {
                    // Before Model hears of it, as the simulated world's `observe` (a clone stops its source).
                    lockstep.scheduleLeaseCheck(lockstep.schedule.hypervisorSucceeded(done.vm, done.operation))
                }
                hypervisorFinished(done)
            case .guest(let call, let address):
                guard case .guestDone(let done)? = lockstep.completions.removeValue(forKey: call) else {
                    preconditionFailure("lockstep call \(call) is not a guest call")
                }
                guestFinished(done, scheduledAddress: .some(address))
            case .leaseCheck:
                preconditionFailure("lease checks are handled above")
            }
        }
    }

    /// Waits until `item` is due on the wall clock and its real call (if any) has returned, taking in completions,
    /// stop requests and power changes meanwhile. Returns how the run ends if it ends here, with what was not handled.
    private func awaitLockstep(_ item: Lockstep.Item, _ lockstep: Lockstep)
        -> (RealRunResult.Outcome?, [DriverInput])
    {
        let call = Lockstep.call(of: item)
        let due = wallInstant(modelSeconds: lockstep.engine.now)
        var wakeUpScheduled = false
        while true {
            let returned = call.map { lockstep.completions[$0] != nil } ?? true
            if returned && loop.clock.now >= due { return (nil, []) }
            if returned && !wakeUpScheduled {
                loop.schedule(.call({}), at: due)
                wakeUpScheduled = true
            }
            guard loop.nextBatch(into: &batch, othersMayPost: pendingCalls > 0) else {
                return (stalled(), [])
            }
            for (position, input) in batch.enumerated() {
                switch input {
                case .hypervisorDone(let done):
                    pendingCalls -= 1
                    lockstep.completed(done.call, input, now: loop.clock.now)
                case .guestDone(let done):
                    pendingCalls -= 1
                    lockstep.completed(done.call, input, now: loop.clock.now)
                case .powerObserved(let vm, let power):
                    powerObserved(vm, power)
                case .call(let body):
                    body()
                case .model(let event):
                    observeRunnerEvent(event)
                    handleModel(event)
                case .stop(let reason):
                    return (.stopped(reason), Array(batch[(position + 1)...]))
                case .arrival, .limitReached:
                    // Lockstep schedules arrivals and the stop time in its own queue.
                    break
                }
            }
        }
    }

    /// As `arrive`, in the simulator's order: the next arrival is scheduled before this one is submitted.
    private func arriveInLockstep(_ index: Int, _ lockstep: Lockstep) {
        let now = lockstep.engine.now
        let arrival = workload.arrive(index, nowModelSeconds: now)
        if let next = arrival.nextArrivalModelSeconds {
            lockstep.engine.schedule(.arrival(index + 1), at: next)
        } else {
            workloadExhausted = true
        }
        objectSeconds.append(contentsOf: arrival.objectSeconds)
        metrics.applicationSubmitted(objects: arrival.objectSeconds.count, now: now)
        observation.arrived(index, at: now)
        decisionModelSeconds = now
        let app = plane.submitApplication(main: arrival.main, objects: Int32(arrival.objectSeconds.count),
                                          requirements: scenario.objectRequirements, now: now)
        precondition(Int(app.index) == metrics.metrics.applicationsSubmitted - 1, "application ids follow the workload")
        performPendingActions()
    }

    /// Carries out an action whose completion lockstep times: the real call starts now and its completion is
    /// scheduled at the latency the simulator would draw. False for actions with nothing to time (define and
    /// report also update the schedule's or the driver's books as usual).
    private func performedInLockstep(_ action: Action, _ lockstep: Lockstep) -> Bool {
        let now = lockstep.engine.now
        func node(of vm: VMID) -> NodeID { plane.vms[Int(vm.index)].node }
        func newCall(after delay: Double) -> Int { lockstep.newCall(due: wallInstant(modelSeconds: now + delay)) }
        switch action {
        case .send(let message):
            metrics.sent(message, now: now)
            observation.sent(message, at: now)
            lockstep.engine.schedule(.model(.messageDelivered(message)),
                                     afterSeconds: lockstep.schedule.messageDelay(message))
        case .startTimer(let alarm, let afterSeconds):
            lockstep.engine.schedule(.model(.timerFired(alarm)), afterSeconds: afterSeconds)
        case .hypervisor(let vm, let operation, let ticket):
            let delay = lockstep.schedule.hypervisorDelay(operation, node: node(of: vm))
            let call = newCall(after: delay)
            startHypervisor(vm, operation, ticket: ticket, call: call)
            lockstep.engine.schedule(.hypervisor(call: call), afterSeconds: delay)
        case .obtainAddress(let vm, let renewal, let ticket):
            let (delay, address) = lockstep.schedule.obtainAddress(vm, node: node(of: vm), renewal, now: now)
            let call = newCall(after: delay)
            startGuest(vm, ticket: ticket, operation: "read the address", lockstepCall: call) { channel, guest in
                .address(try channel.obtainAddress(of: guest, renewal: renewal))
            }
            lockstep.engine.schedule(.guest(call: call, address: address), afterSeconds: delay)
        case .fetchVMKey(let vm, let ticket):
            let delay = lockstep.schedule.guestDelay(vm, node: node(of: vm), scenario.hypervisor.keyFetch, now: now)
            let call = newCall(after: delay)
            startGuest(vm, ticket: ticket, operation: "fetch the VM key", request: .fetchKey, lockstepCall: call) { channel, guest in
                .vmKey(try channel.fetchVMKey(of: guest))
            }
            lockstep.engine.schedule(.guest(call: call, address: nil), afterSeconds: delay)
        case .writeKey(let vm, let write, let ticket):
            let delay = lockstep.schedule.guestDelay(vm, node: node(of: vm), scenario.hypervisor.keyWrite, now: now)
            let call = newCall(after: delay)
            startKeyWrite(vm, write, ticket: ticket, call: call)
            lockstep.engine.schedule(.guest(call: call, address: nil), afterSeconds: delay)
        case .launchObject(let object, let app, let node, let vm, let address):
            // The in-process runner's objects, timed as the simulator times them: started after the launch
            // latency, finished after their compute time.
            let latency = lockstep.schedule.launchDelay(node: node)
            objectStopped(object)
            if let vm { inventory.objectLaunched(on: vm, app: app) }
            liveObjects[object] = vm
            if let vm {
                // The in-process guests' addresses are the simulator's DHCP pools' here: its holder answers.
                let answering = address.flatMap { lockstep.schedule.holder(of: $0, inAreaOf: vm) }
                if answering != vm { metrics.misdirectedLaunch() }
                observation.launching(object, app: app, in: vm, answering: answering)
            }
            lockstep.engine.schedule(.model(.objectLaunched(object, succeeded: true)), afterSeconds: latency)
            lockstep.engine.schedule(.model(.objectFinished(object, succeeded: true)),
                                     afterSeconds: latency + objectSeconds[Int(object.index)])
        case .killObject(let object, _, _):
            objectStopped(object)
        case .defineVM(let vm, let node, _):
            lockstep.schedule.define(node: node)
            lockstep.scheduleLeaseCheck(lockstep.schedule.leaseCheckAfterDefine(vm))
            return false
        case .report:
            return false
        }
        return true
    }

    // MARK: The end

    private func finish(_ outcome: RealRunResult.Outcome, leftovers: [DriverInput], connection: LibvirtConnection,
                        wallStart: ContinuousClock.Instant) -> RealRunResult {
        let endModelSeconds = modelNow
        let cleanUp = !outcome.isCompleted
        // The clean-up's reverts below are the run's own; nothing reaches Model any more.
        stopWatchingLifecycleEvents(connection)
        switch outcome {
        case .completed: break
        case .limitReached: options.log.line("stop time reached: reverting every worker the run touched")
        case .stopped(let reason): options.log.line("stopping (\(reason)): reverting every worker the run touched")
        case .failed(let reason): options.log.line("run failed (\(reason)): reverting every worker the run touched")
        case .refused(let reason): options.log.line("\(reason): reverting every worker the run touched")
        }
        if cleanUp {
            runner.killAll(loop: handle)
            liveObjects.removeAll()
            inventory.allObjectsStopped()
        }
        // Calls in flight finish; their completions only update the books (a clone's new domain must be known
        // to be reverted or removed).
        pool.waitUntilIdle()
        for item in leftovers + loop.drainInbox() {
            switch item {
            case .hypervisorDone(let done):
                pendingCalls -= 1
                if let error = done.error { options.log.line(error) }
                recordHypervisor(done)
            case .guestDone:
                pendingCalls -= 1
            case .model, .powerObserved, .arrival, .call, .limitReached, .stop:
                break
            }
        }
        // Lockstep calls that returned but whose turn never came (the run ended first): the same books.
        if let lockstep {
            for call in lockstep.completions.keys.sorted() {
                guard case .hypervisorDone(let done)? = lockstep.completions[call] else { continue }
                if let error = done.error { options.log.line(error) }
                recordHypervisor(done)
            }
            lockstep.completions.removeAll()
        }
        loop.dropTimers()
        var cleanedUp: Set<Int32> = []
        if cleanUp {
            for worker in inventory.workers where worker.touched {
                guard let domain = worker.domain else { continue }
                let (error, wallSeconds) = revertNow(domain)
                inventory.record(worker.vm, operation: .revert, origin: .cleanup, succeeded: error == nil,
                                 wallSeconds: wallSeconds, error: error)
                if error == nil {
                    guestChannel.hypervisorDidReset(worker.guest, .reverted)
                    cleanedUp.insert(worker.vm.index)
                }
            }
        }
        var reports: [RealRunResult.WorkerReport] = []
        for worker in inventory.workers {
            let holder = Int(worker.vm.index) < plane.vms.count ? plane.vms[Int(worker.vm.index)].holder : nil
            let free = worker.objectsRunning == 0
                && (cleanUp ? cleanedUp.contains(worker.vm.index) || !worker.touched : holder == .free)
            reports.append(RealRunResult.WorkerReport(
                vm: worker.vm, domain: worker.name, createdByRun: worker.createdByRun, touched: worker.touched,
                revertCalls: worker.revertCalls, modelRevertCalls: worker.modelRevertCalls,
                cleanupReverts: worker.cleanupReverts, failedCalls: worker.failedCalls,
                lastOperation: worker.lastOperation, lastOperationSucceeded: worker.lastOperationSucceeded,
                clean: !worker.usedSinceRevert, applicationsServed: worker.applicationsServed,
                objectsRunning: worker.objectsRunning, holder: holder, free: free,
                finalState: try? worker.domain?.state(), snapshots: (try? worker.domain?.snapshotNames()) ?? []))
        }
        let created = inventory.workers.filter(\.createdByRun).map(\.name)
        var removed: [String] = []
        if isTestDriver && !options.keepCreatedDomains {
            removed = inventory.removeCreatedDomains(connection: connection, log: options.log)
        }
        pool.shutdown()
        metrics.finish(plane: plane, now: endModelSeconds, wallSeconds: wallSeconds(since: wallStart))
        if let lockstep, lockstep.lateCalls > 0 {
            options.log.line("lockstep: \(lockstep.lateCalls) of \(lockstep.calls) calls returned after their drawn "
                             + "latency (at most \((lockstep.worstLateWallSeconds * 1000).rounded() / 1000) s wall late); "
                             + "the model clock waited for them")
        }
        var runMetrics = metrics.metrics
        if let decisions { runMetrics.decisionDigest = decisions.digestHex() }
        let stopModelSeconds = outcome == .limitReached
            ? min(endModelSeconds, options.untilModelSeconds ?? scenario.durationSeconds ?? endModelSeconds)
            : endModelSeconds
        observation.sample(through: stopModelSeconds, plane: plane)
        observation.finish(plane, drained: outcome.isCompleted, endSeconds: endModelSeconds,
                           stopSeconds: stopModelSeconds, metrics: &runMetrics)
        var result = RealRunResult(
            outcome: outcome, metrics: runMetrics, uri: connection.uri, timeScale: options.timeScale,
            workers: reports, hypervisorCalls: inventory.calls, keyWrites: keyWrites,
            powerObservations: powerObservations, domainsCreated: created,
            domainsRemoved: removed, applications: plane.apps, tables: observation.tables(plane, metrics: metrics))
        result.lockstep = lockstep != nil
        return result
    }

    /// libvirt's errors for a connection that is gone (closed, broken RPC), as opposed to a failed operation.
    static func isConnectionFailure(_ error: Error) -> Bool {
        guard let error = error as? LibvirtError else { return false }
        return [VIR_ERR_NO_CONNECT, VIR_ERR_INVALID_CONN, VIR_ERR_RPC].contains { Int32($0.rawValue) == error.code }
    }

    /// One line naming the domain and the operation (a LibvirtError's description says both).
    static func describe(_ error: Error) -> String {
        if let error = error as? LibvirtError { return error.description }
        return "\(error)"
    }
}
