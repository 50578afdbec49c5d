import Model

/// One simulated run: drives the ControlPlane with the engine and carries out its actions
/// in a simulated world (hypervisors, guests, DHCP, network, workload). The only place in
/// Sim that turns Model actions into effects.
public struct Simulation {
    enum SimEvent {
        case model(Event)
        case arrival(Int32)
        case leaseExpired(vm: Int32, generation: UInt32)
        case vmCrashed(vm: Int32, generation: UInt32)
        case guestRenewed(vm: Int32, generation: UInt32)
    }

    public let scenario: Scenario
    public private(set) var plane: ControlPlane
    public internal(set) var metrics = Metrics()
    var engine = Engine<SimEvent>(capacity: 4096)
    var actions = ActionBatch(capacity: 64)
    public internal(set) var worldVMs: [SimulatedVM] = []
    var dhcp: [DHCPServer]
    let nodeStreams: [RandomStream]
    let networkStream: RandomStream
    let workloadStream: RandomStream
    let faultStream: RandomStream
    let dhcpStreams: [RandomStream]
    /// What the world knows of each object and application, one record each so one event
    /// touches one cache line of it.
    var objectTimes: [ObjectTimes] = []
    public internal(set) var applicationTimes: [ApplicationTimes] = []
    var pendingPrepareOp: [Double] = []
    var cores: NodeCores
    var memory: NodeMemory
    var links: NodeLinks
    var recorder: TraceRecorder
    var checker = InvariantChecker()
    /// Every action Model emits, with its model time (`visag run --decisions` keeps one; sweeps and benchmarks do not).
    public var decisions: DecisionLog?
    /// `visag run --sample-every`: the per-node and per-VM series, sampled between events (nil: none).
    public var series: RunSeries?
    var arrivals = 0
    let hasHypervisorOutages: Bool
    /// How long before the stop an application must have ended (or been silent) for a run cut
    /// short by `duration` or `--until` to judge it for noLeaks and liveness.
    public var settleSeconds = Simulation.defaultSettleSeconds
    /// An hour: longer than any timer and any preparation of the bundled scenarios.
    public static let defaultSettleSeconds = 3600.0

    public init(scenario: Scenario, traceSink: TraceSink? = nil) {
        self.scenario = scenario
        hasHypervisorOutages = !scenario.faults.hypervisorOutages.isEmpty
        plane = ControlPlane(config: scenario.grid)
        let seed = scenario.seed
        // The same streams as a lockstep run's (`LockstepSchedule`).
        let streams = WorldStreams(scenario: scenario)
        networkStream = streams.network
        workloadStream = streams.workload
        faultStream = streams.faults
        dhcpStreams = streams.dhcp
        nodeStreams = streams.nodes
        dhcp = (0..<scenario.dhcp.areas).map { DHCPServer(area: $0, poolSize: scenario.dhcp.poolSize) }
        recorder = TraceRecorder(sink: traceSink)
        cores = NodeCores(coresOfNode: scenario.coresOfNode)
        memory = NodeMemory(capacityMBOfNode: scenario.memoryMBOfNode, vmMemoryMB: scenario.vmMemoryMB)
        links = NodeLinks(nodes: scenario.grid.nodes.count)
        if scenario.faults.shuffleTies {
            engine = Engine(capacity: 4096, shuffleTiesWith: RandomStream.splitMix64(seed ^ 0x5348_5546_464C_4531))
        }
        if !scenario.grid.mode.usesWorkerVMs { checker.gatingResources = scenario.objectRequirements }
        reserveWorkloadCapacity()
        for (i, vm) in plane.vms.enumerated() { defineWorldVM(Int32(i), node: vm.node) }
    }

    /// A run with no time limit stops after this many events in a row in which no application arrived, completed
    /// or failed. Such a run can make no progress: something retries without end (every revert fails and the
    /// recycle retries forever, say). The bound is on events, not simulated time, so it is deterministic and a
    /// slow but live workload (long objects, sparse arrivals) never meets it: between two arrivals or ends a run
    /// handles a few events per VM, far fewer than this.
    public static let maxEventsWithoutProgress = 5_000_000

    /// Runs to the end (or `untilSeconds`) and returns the metrics. Without a time limit, a run that makes no
    /// progress for `maxEventsWithoutProgress` events is stopped with a `liveness` violation (`Metrics.stalled`).
    public mutating func run(untilSeconds: Double? = nil,
                             maxEventsWithoutProgress: Int = Simulation.maxEventsWithoutProgress) -> Metrics {
        let limit = untilSeconds ?? scenario.durationSeconds ?? .infinity
        let clock = ContinuousClock()
        let started = clock.now
        recorder.begin(scenario: scenario)
        handleModel(.gridStarted)
        scheduleFirstArrival()
        for restart in scenario.faults.adminRestarts {
            engine.schedule(.model(.adminRestarted(NodeID(restart.node))), at: max(engine.now, restart.atSeconds))
        }
        if limit.isFinite {
            // One pass without sampling; with it, one pass per sampling instant (`Simulation+Series`).
            repeat {
                let stop = segmentEnd(limit: limit)
                while let event = engine.next(notAfter: stop) {
                    dispatch(event)
                }
            } while sampledSegmentEnd(limit: limit)
        } else {
            runWatchingProgress(maxEventsWithoutProgress: maxEventsWithoutProgress)
        }
        let elapsed = started.duration(to: clock.now)
        metrics.wallSeconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        finishSeries(stopSeconds: limit)
        finish(stopSeconds: limit)
        return metrics
    }

    /// The loop of a run without a time limit: it counts the events since an application last arrived, completed
    /// or failed, and stops the run at `maxEventsWithoutProgress` with a liveness report.
    mutating func runWatchingProgress(maxEventsWithoutProgress: Int) {
        var progress = 0
        var progressAt = engine.now
        var eventsWithoutProgress = 0
        repeat {
            let stop = segmentEnd(limit: .infinity)
            while let event = engine.next(notAfter: stop) {
                dispatch(event)
                let now = metrics.applicationsSubmitted &+ metrics.applicationsCompleted &+ metrics.applicationsFailed
                if now != progress {
                    progress = now
                    progressAt = engine.now
                    eventsWithoutProgress = 0
                    continue
                }
                eventsWithoutProgress += 1
                if eventsWithoutProgress >= maxEventsWithoutProgress {
                    let open = metrics.applicationsSubmitted - metrics.applicationsCompleted - metrics.applicationsFailed
                    let detail = "no application arrived, completed or failed in the "
                        + "\(eventsWithoutProgress) events since t=\(progressAt) s (\(open) applications open, "
                        + "\(engine.pending) events pending); the run was stopped: something is retried without end "
                        + "(e.g. every revert fails and jobMgr.recycleRetry retries the recycle); set a duration to bound it"
                    metrics.stalled = detail
                    checker.runStalled(time: engine.now, detail: detail)
                    return
                }
            }
        } while sampledSegmentEnd(limit: .infinity)
    }

    // MARK: Event dispatch

    @inline(__always)
    mutating func dispatch(_ event: SimEvent) {
        switch event {
        case .model(let modelEvent):
            recorder.record(time: engine.now, modelEvent)
            checker.record(time: engine.now, modelEvent)
            noteActivity(modelEvent)
            observe(modelEvent)
            handleModel(modelEvent)
            if let node = touchedNode(modelEvent) { checkAccounting(node) }
        case .arrival(let index):
            recorder.recordArrival(time: engine.now, index: index)
            arrive(Int(index))
        case .leaseExpired(let vm, let generation):
            leaseExpired(vm: vm, generation: generation)
        case .vmCrashed(let vm, let generation):
            vmCrashed(vm: vm, generation: generation)
        case .guestRenewed(let vm, let generation):
            guestRenewed(vm: vm, generation: generation)
        }
    }

    /// The checker gets the node's counts, not the plane: handing it `plane` while it mutates
    /// itself would copy the plane (a retain and release of every table) on every such event.
    @inline(__always)
    mutating func checkAccounting(_ node: NodeID) {
        let free = plane.freeWorkerCounts(on: node)
        checker.checkAccounting(node: node, jobs: plane.jobs(on: node), capacity: plane.maxJobs(on: node),
                                searchNodeJobs: plane.searchNodeJobs(on: node),
                                advertised: plane.advertisedResources(on: node),
                                available: plane.availableResources(on: node), freeWorkers: free, time: engine.now)
    }

    /// Counts the node's workers up to the one just defined (Model may have asked for more
    /// clones in the same step; each is judged when it is defined). Once per clone: not hot.
    mutating func checkWorkerLimit(_ node: NodeID, defined vm: VMID) {
        checker.checkWorkerLimit(defined: vm, on: node, in: plane, maxVMs: scenario.grid.nodes[Int(node.index)].maxVMs,
                                 time: engine.now)
    }

    /// A worker now serves `app`: no other live worker serving another application may answer
    /// with its host key (clones share keys within their node only, so the node's workers are all
    /// it compares).
    mutating func checkHostKey(of vm: VMID, reservedFor app: AppID) {
        let key = worldVMs[Int(vm.index)].hostKey
        for other in plane.workers(on: plane.vms[Int(vm.index)].node)
        where other != vm && worldVMs[Int(other.index)].hostKey == key {
            if case .application(let owner) = plane.vms[Int(other.index)].holder, owner != app {
                checker.hostKeyShared(vm, app: app, with: other, app: owner, time: engine.now)
            }
        }
    }

    mutating func handleModel(_ event: Event) {
        plane.handle(event, now: engine.now)
        performActions()
    }

    /// By index: a for-in would copy the batch into an iterator (a retain and release per drain).
    mutating func performActions() {
        while plane.hasPendingActions {
            plane.drainActions(into: &actions)
            var i = 0
            while i < actions.count {
                perform(actions[i])
                i += 1
            }
        }
    }

    // MARK: Workload

    mutating func scheduleFirstArrival() {
        switch scenario.workload {
        case .poisson(let w):
            guard w.applications > 0 else { return }
            engine.schedule(.arrival(0), afterSeconds: sampleInterarrival(w))
        case .trace(let jobs, _):
            guard let first = jobs.first else { return }
            engine.schedule(.arrival(0), at: first.arrivalSeconds)
        }
    }

    /// Sizes the per-application tables for the whole workload (capped: a huge Poisson count
    /// that a duration cuts short must not reserve gigabytes).
    mutating func reserveWorkloadCapacity() {
        let applications: Int
        let objects: Int
        switch scenario.workload {
        case .poisson(let w):
            applications = min(w.applications, 1 << 20)
            objects = applications * max(1, Int(w.objectsPerApplication.mean.rounded()))
        case .trace(let jobs, _):
            applications = jobs.count
            objects = jobs.reduce(0) { $0 + max(1, $1.objects) }
        }
        plane.reserveCapacity(applications: applications, objects: objects)
        applicationTimes.reserveCapacity(applications)
        objectTimes.reserveCapacity(objects)
    }

    mutating func sampleInterarrival(_ w: PoissonWorkload) -> Double {
        Distribution.exponential(mean: 1 / w.arrivalsPerSecond).sample(workloadStream)
    }

    mutating func arrive(_ index: Int) {
        let main: MainNodeChoice
        let objectCount: Int
        let firstObject = objectTimes.count
        switch scenario.workload {
        case .poisson(let w):
            main = w.mainNode
            // Clamped: a lognormal's tail can draw more objects than the grid could ever place (or an Int holds).
            let drawn = w.objectsPerApplication.sample(workloadStream).rounded()
            // The sum over nodes is taken only for such a rare draw, off the per-arrival path.
            let bounded = drawn <= 1_000 ? max(drawn, 1) : min(drawn, Double(scenario.jobSlots))
            objectCount = Int(bounded)
            for _ in 0..<objectCount {
                objectTimes.append(ObjectTimes(computeSeconds: w.objectSeconds.sample(workloadStream)))
            }
            if index + 1 < w.applications {
                engine.schedule(.arrival(Int32(index + 1)), afterSeconds: sampleInterarrival(w))
            }
        case .trace(let jobs, let choice):
            main = choice
            let job = jobs[index]
            objectCount = max(1, job.objects)
            for _ in 0..<objectCount { objectTimes.append(ObjectTimes(computeSeconds: job.computeSeconds)) }
            if index + 1 < jobs.count {
                engine.schedule(.arrival(Int32(index + 1)), at: max(engine.now, jobs[index + 1].arrivalSeconds))
            }
        }
        let node: NodeID
        switch main {
        case .random: node = NodeID(workloadStream.uniformInt(below: scenario.grid.nodes.count))
        case .node(let n): node = NodeID(n)
        }
        applicationTimes.append(ApplicationTimes(submittedAt: engine.now, lastActivity: engine.now))
        metrics.applicationsSubmitted += 1
        let app = plane.submitApplication(main: node, objects: Int32(objectCount),
                                          requirements: scenario.objectRequirements, now: engine.now)
        precondition(Int(app.index) == applicationTimes.count - 1 && plane.apps[Int(app.index)].firstObject.index == firstObject)
        performActions()
    }

    // MARK: Actions to effects

    mutating func perform(_ action: Action) {
        decisions?.record(action, modelSeconds: engine.now)
        switch action {
        case .send(let message):
            metrics.messages += 1
            observeSend(message)
            if case .execute(let app, _) = message.body, scenario.faults.mainCrashProbability > 0,
               mainCrashes(app) { return }
            if let drop = scenario.faults.messageDrop, drop.applies(to: message.body, at: engine.now),
               faultStream.bernoulli(drop.probability) {
                metrics.messagesDropped += 1
                worldChanged(.messageLost(message))
                return
            }
            deliver(message)
            if let duplicate = scenario.faults.messageDuplicate, duplicate.applies(to: message.body, at: engine.now),
               faultStream.bernoulli(duplicate.probability) {
                metrics.messagesDuplicated += 1
                worldChanged(.messageDuplicated(message))
                deliver(message)
            }
        case .startTimer(let timer, let seconds):
            engine.schedule(.model(.timerFired(timer)), afterSeconds: seconds)
        case .hypervisor(let vm, let operation, let ticket):
            hypervisorOperation(vm, operation, ticket: ticket)
        case .obtainAddress(let vm, let renewal, let ticket):
            obtainAddress(vm, renewal, ticket: ticket)
        case .fetchVMKey(let vm, let ticket):
            let delay = guestOperation(vm, scenario.hypervisor.keyFetch)
            engine.schedule(.model(.vmKeyFetched(vm, ticket: ticket)), afterSeconds: delay)
        case .writeKey(let vm, let write, let ticket):
            metrics.keyWrites += 1
            if write.installs {
                checker.keyWritten(vm, write, holder: plane.vms[Int(vm.index)].holder, time: engine.now)
                keyInstalled(vm, write)
            }
            let delay = guestOperation(vm, scenario.hypervisor.keyWrite)
            metrics.prepareKeyWrite.append(delay)
            engine.schedule(.model(.keyWritten(vm, write, ticket: ticket)), afterSeconds: delay)
        case .launchObject(let object, let app, let node, let vm, let address):
            launch(object, app: app, node: node, vm: vm, address: address)
        case .killObject(let object, _, _):
            objectStopped(object)
        case .defineVM(let vm, let node, _):
            defineWorldVM(vm.index, node: node)
            checkWorkerLimit(node, defined: vm)
        case .report(let report):
            observe(report)
        }
    }

    /// One copy of a message through the network.
    mutating func deliver(_ message: Message) {
        var delay = message.from == message.to ? 0 : scenario.network.latency.draw(from: networkStream)
        if message.from != message.to, let bandwidth = scenario.network.bandwidthBytesPerSecond {
            let sent = links.transmit(from: Int(message.from.index), now: engine.now,
                                      seconds: scenario.network.messageBytes / bandwidth)
            delay += sent - engine.now
        }
        if let extra = scenario.faults.messageDelay, engine.now >= extra.fromSeconds, engine.now < extra.toSeconds {
            delay += extra.extra.sample(faultStream)
        }
        engine.schedule(.model(.messageDelivered(message)), afterSeconds: delay)
    }

    /// From Model's record of the VM, which the action that asks this has just touched (the
    /// world's record of it is usually cold by then).
    @inline(__always)
    func nodeIndex(of vm: VMID) -> Int { Int(plane.vms[Int(vm.index)].node.index) }

    /// Guest operations on one VM run one after another.
    mutating func guestOperation(_ vm: VMID, _ latency: Distribution) -> Double {
        let i = Int(vm.index)
        let start = max(engine.now, worldVMs[i].guestBusyUntil)
        let end = start + latency.draw(from: nodeStreams[nodeIndex(of: vm)])
        worldVMs[i].guestBusyUntil = end
        return end - engine.now
    }

    mutating func hypervisorOperation(_ vm: VMID, _ operation: HypervisorOperation, ticket: UInt32) {
        let node = nodeIndex(of: vm)
        var succeeded = true
        if hasHypervisorOutages {
            succeeded = !FaultSettings.any(scenario.faults.hypervisorOutages, cover: node, at: engine.now)
        }
        // The one draw per operation, as a lockstep run makes it (`LockstepSchedule.hypervisorDelay`).
        let delay = scenario.hypervisor.delay(of: operation, from: nodeStreams[node])
        switch operation {
        case .revert:
            if scenario.faults.revertFailureProbability > 0, faultStream.bernoulli(scenario.faults.revertFailureProbability) {
                succeeded = false
            }
            if succeeded, !admitPowerOn(vm) { succeeded = false }
            if plane.vms[Int(vm.index)].preparation != nil { metrics.prepareRevert.append(delay) }
        case .suspend, .shutdown:
            break
        case .boot, .resume:
            if succeeded, !admitPowerOn(vm) { succeeded = false }
            if plane.vms[Int(vm.index)].preparation?.step == .waking { metrics.prepareWoken(by: operation, delay) }
        case .clone:
            if scenario.faults.cloneFailureProbability > 0, faultStream.bernoulli(scenario.faults.cloneFailureProbability) {
                succeeded = false
            }
        }
        engine.schedule(.model(.hypervisorFinished(vm, operation, ticket: ticket, succeeded: succeeded)),
                        afterSeconds: delay)
    }

    /// `ssh <address> <command>` from the admin VM. Every worker's clean snapshot trusts the
    /// admin's key, so an address that now belongs to another worker runs the object there.
    mutating func launch(_ object: ObjectID, app: AppID, node: NodeID, vm: VMID?, address: Address?) {
        let latency = scenario.hypervisor.launch.draw(from: nodeStreams[Int(node.index)])
        var reached = true
        var computeNode = Int(node.index)
        if let vm {
            let area = Int(worldVMs[Int(vm.index)].area)
            let owner = address.flatMap { dhcp[area].holder(of: $0) }
            if owner != vm.index { metrics.misdirectedLaunches += 1 }
            if let ranIn = owner, !plane.config.mode.usesKeys || worldVMs[Int(ranIn)].holdsAdminKey(of: node) {
                objectTimes[Int(object.index)].runningIn = ranIn
                computeNode = Int(worldVMs[Int(ranIn)].node)
                let stale = ranIn == vm.index ? nil : address.flatMap { address in
                    dhcp[area].history(of: address).map { StaleLaunch(address: address, history: $0) }
                }
                checker.objectStarted(object, app: app, intended: vm, ranIn: Int(ranIn),
                                      holder: plane.vms[Int(ranIn)].holder, time: engine.now, stale: stale)
                if plane.config.mode.usesKeys && !worldVMs[Int(ranIn)].requesterKeyApps.contains(app.index) {
                    // The object started, but the requester's tunnel to it is refused: it never serves.
                    metrics.connectionsRefused += 1
                    objectStopped(object)
                    reached = false
                }
            } else {
                // Nobody answers at that address, or the guest there refuses the admin VM's key.
                if owner != nil { metrics.connectionsRefused += 1 }
                reached = false
            }
        }
        // Exec forks `ssh` and returns at once (`VirtualJobMgr::Exec`): an object that cannot be reached never
        // calls back, and only the host's callback timeout (`alloc_timeout`) ends the wait.
        guard reached else { return }
        engine.schedule(.model(.objectLaunched(object, succeeded: true)), afterSeconds: latency)
        var crashes = false
        if scenario.faults.objectCrashProbability > 0 {
            crashes = faultStream.bernoulli(scenario.faults.objectCrashProbability)
        }
        let compute = objectTimes[Int(object.index)].computeSeconds
        var untilFinished = latency + compute
        if let booked = cores.book(node: computeNode, readyAt: engine.now + latency, seconds: compute) {
            let wait = booked.startSeconds - (engine.now + latency)
            metrics.coreWait.append(wait)
            untilFinished += wait
            objectTimes[Int(object.index)].core = booked.core
            objectTimes[Int(object.index)].computeEnd = booked.startSeconds + compute
        }
        engine.schedule(.model(.objectFinished(object, succeeded: !crashes)), afterSeconds: untilFinished)
    }

    /// Decided once per application, at its first Execute: the main dies instead of sending it.
    mutating func mainCrashes(_ app: AppID) -> Bool {
        let i = Int(app.index)
        if applicationTimes[i].crashDecided { return applicationTimes[i].crashes }
        applicationTimes[i].crashDecided = true
        applicationTimes[i].crashes = faultStream.bernoulli(scenario.faults.mainCrashProbability)
        if applicationTimes[i].crashes { engine.schedule(.model(.applicationCrashed(app)), afterSeconds: 0) }
        return applicationTimes[i].crashes
    }

    // MARK: Observation

    mutating func observeSend(_ message: Message) {
        switch message.body {
        case .reserve(_, let object, _, _, _):
            objectTimes[Int(object.index)].reservedAt = engine.now
        case .placeObjects, .objectsPlaced, .capacityReleased, .vmAdded, .discoveryRequest, .discoveryReply,
             .reserveAnswered, .execute, .objectStarted, .objectFailed, .objectCompleted, .cancelObject,
             .applicationEnded, .routeVMKey:
            break
        }
        if case .reserve(let app, _, _, _, _) = message.body, applicationTimes[Int(app.index)].placedAt.isNaN {
            applicationTimes[Int(app.index)].placedAt = engine.now
            let wait = engine.now - applicationTimes[Int(app.index)].submittedAt
            metrics.queueWait.append(wait)
            metrics.waitSum += wait
        }
    }

    mutating func observe(_ report: Report) {
        switch report {
        case .applicationFinished(let app, let succeeded, let reason):
            applicationTimes[Int(app.index)].finishedAt = engine.now
            applicationTimes[Int(app.index)].failure = reason
            if succeeded {
                metrics.applicationsCompleted += 1
                metrics.responseSum += engine.now - applicationTimes[Int(app.index)].submittedAt
            } else {
                metrics.applicationsFailed += 1
                metrics.failureReasons[reason?.rawValue ?? "unknown", default: 0] += 1
            }
            metrics.makespanSeconds = engine.now
        case .objectRunning(let object, _, let vmWasReady):
            let latency = engine.now - objectTimes[Int(object.index)].reservedAt
            if vmWasReady { metrics.creationLatencyReady.append(latency) } else { metrics.creationLatencyPrepared.append(latency) }
        case .vmReserved(let vm, let app):
            worldVMs[Int(vm.index)].reservedSince = engine.now
            if worldVMs[Int(vm.index)].hostKeyShared { checkHostKey(of: vm, reservedFor: app) }
        case .vmFreed(let vm):
            checker.vmFreed(vm, running: worldVMs[Int(vm.index)].power == .running, time: engine.now)
            if case .free = plane.vms[Int(vm.index)].holder {
                let since = worldVMs[Int(vm.index)].reservedSince
                if since >= 0 {
                    metrics.vmReservedSeconds += engine.now - since
                    worldVMs[Int(vm.index)].reservedSeconds += engine.now - since
                }
                worldVMs[Int(vm.index)].reservedSince = -1
            }
        case .vmKeyAccepted(let vm, let app, let host):
            checker.keyAccepted(vm, app: app, at: host, time: engine.now)
            metrics.count(report)
        case .brokerOvercounted(let node):
            checker.brokerOvercounted(node, time: engine.now)
        case .applicationQueued(let app):
            // Waiting in the broker's queue depends on other applications: a cut run never judges
            // it silent until something happens to it again.
            applicationTimes[Int(app.index)].lastActivity = .infinity
            metrics.count(report)
        case .cloneStarted, .cloneFinished, .keyDropped, .reservationExpired, .nodeLoad, .discoveryMessage,
             .neighbourRemoved:
            metrics.count(report)
        }
    }

    /// The application an event concerns, for `lastActivity`: one load and one store per event.
    @inline(__always)
    mutating func noteActivity(_ event: Event) {
        guard let app = ApplicationTimes.application(concernedBy: event, in: plane) else { return }
        if app >= 0 && Int(app) < applicationTimes.count { applicationTimes[Int(app)].lastActivity = engine.now }
    }

    mutating func finish(stopSeconds: Double) {
        metrics.events = engine.processed
        metrics.simulatedSeconds = engine.now
        metrics.ignoredEvents = plane.ignoredEvents
        metrics.vmCount = plane.vms.reduce(0) { $1.exists ? $0 + 1 : $0 }
        for i in worldVMs.indices {
            if worldVMs[i].power == .running { worldVMs[i].runningSeconds += engine.now - worldVMs[i].runningSince }
            metrics.vmRunningSeconds += worldVMs[i].runningSeconds
            if worldVMs[i].reservedSince >= 0, case .application = plane.vms[i].holder {
                metrics.vmReservedSeconds += engine.now - worldVMs[i].reservedSince
            }
        }
        // Cut short: judge only what ended (or fell silent) `settleSeconds` before the stop.
        checker.checkEnd(plane, drained: engine.pending == 0, endSeconds: engine.now, stopSeconds: stopSeconds,
                         settleSeconds: settleSeconds, applications: applicationTimes)
        metrics.violations = checker.violations
        metrics.violationCounts = checker.counts
        metrics.digest = recorder.finish(metrics: metrics)
        if let decisions { metrics.decisionDigest = decisions.digestHex() }
    }
}

/// The world's record of one object.
struct ObjectTimes {
    var computeSeconds: Double
    var reservedAt: Double = .nan
    /// The VM the object actually runs in (-1: not running in a VM).
    var runningIn: Int32 = -1
    /// The core it computes on (-1: none booked) and the end it was booked for.
    var core: Int32 = -1
    var computeEnd: Double = .nan
}

/// The world's record of one application.
public struct ApplicationTimes: Sendable {
    public var submittedAt: Double
    /// First Reserve sent (NaN until placed).
    public var placedAt: Double = .nan
    /// NaN while running.
    public var finishedAt: Double = .nan
    /// nil if completed (or still running).
    public var failure: FailureReason?
    /// The last delivered event about the application or one of its objects (infinity while it
    /// waits in the central broker's queue).
    public var lastActivity: Double
    var crashDecided = false
    var crashes = false

    package init(submittedAt: Double, lastActivity: Double) {
        self.submittedAt = submittedAt
        self.lastActivity = lastActivity
    }
}
