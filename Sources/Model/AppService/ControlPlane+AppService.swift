/// AppService and the initiator side of object creation (report §5.3, reference flow 5):
/// up to `creationRounds` rounds of allocate + exec; a failed round cancels its reservations
/// and kills what it created, and the application pauses before the next round.
extension ControlPlane {
    mutating func applicationStarted(_ app: AppID) {
        let main = apps[Int(app.index)].main
        if config.mode.usesKeys {
            nodes[Int(main.index)].security.mainNodeLearned(app, main: main)
        }
        if config.usesOriginalCreation { return startCreating(app) }
        startRound(app, round: 1)
    }

    mutating func startRound(_ app: AppID, round: Int32) {
        let main = apps[Int(app.index)].main
        apps[Int(app.index)].state = .placing(round: round)
        if !discoveryResponders[Int(app.index)].isEmpty { discoveryResponders[Int(app.index)].removeAll(keepingCapacity: true) }
        if round > 1 { rememberEarlierNodes(app) }
        for o in apps[Int(app.index)].objects() {
            placementOf[Int(o)] = ControlPlane.unplaced
            objects[Int(o)].initiator = .unplaced
            objects[Int(o)].generation &+= 1
        }
        if let timeout = config.roundTimeoutSeconds {
            emit(.startTimer(.roundTimeout(app, round: round), afterSeconds: timeout))
        }
        switch config.placement {
        case .central(let broker):
            send(.placeObjects(app, round: round), from: main, to: broker)
        case .discovery(let policy):
            startDiscovery(app, round: round, policy: policy)
        }
    }

    /// Remembers where a failed round went: those nodes may still hold the VM.
    mutating func rememberEarlierNodes(_ app: AppID) {
        var earlier = earlierRoundNodes[app] ?? []
        for o in apps[Int(app.index)].objects() {
            let node = placementOf[Int(o)]
            if node != ControlPlane.unplaced && !earlier.contains(node) { earlier.append(node) }
        }
        earlierRoundNodes[app] = earlier
    }

    /// The placement for `round` is in `placement`: reserve every object on its node.
    mutating func placementArrived(_ app: AppID, round: Int32) {
        guard case .placing(let current) = apps[Int(app.index)].state, current == round else {
            ignoredEvents += 1
            return
        }
        let a = self.app(app)
        apps[Int(app.index)].state = .reserving(round: round, pending: a.objectCount)
        let carriesKey = config.mode.usesKeys && !carriesKeyOnlyAtDiscovery
        for o in a.objects() {
            let target = placementOf[Int(o)]
            precondition(target != ControlPlane.unplaced, "object \(o) of \(app) has no placement")
            objects[Int(o)].initiator = .reserving
            objects[Int(o)].node = target
            send(.reserve(app, ObjectID(Int(o)), a.request, round: round, carriesRequesterKey: carriesKey), from: a.main, to: target)
        }
    }

    /// With discovery, the original stores the requester key when the discovery request
    /// arrives and the Reserve carries none; a retried round then finds it consumed.
    var carriesKeyOnlyAtDiscovery: Bool {
        if case .discovery = config.placement { return config.fidelity.has(.requesterKeyTakeRaces) }
        return false
    }

    mutating func reserveAnswered(_ app: AppID, _ object: ObjectID, accepted: Bool, from node: NodeID) {
        if case .allocating(let round) = apps[Int(app.index)].state {
            return allocationAnswered(app, object, accepted: accepted, from: node, round: round)
        }
        guard case .reserving(let round, let pending) = apps[Int(app.index)].state,
              objects[Int(object.index)].initiator == .reserving else {
            ignoredEvents += 1
            return
        }
        guard accepted else {
            objects[Int(object.index)].initiator = .cancelled
            roundFailed(app, round: round, reason: .refused)
            return
        }
        objects[Int(object.index)].initiator = .reserved
        writeKeyWithEmptyAppID(.node(node), of: app, at: apps[Int(app.index)].main)
        guard pending == 1 else {
            apps[Int(app.index)].state = .reserving(round: round, pending: pending - 1)
            return
        }
        let a = self.app(app)
        apps[Int(app.index)].state = .starting(round: round, pending: a.objectCount)
        apps[Int(app.index)].unfinishedObjects = a.objectCount
        for o in a.objects() {
            let id = ObjectID(Int(o))
            objects[Int(o)].initiator = .starting
            send(.execute(app, id), from: a.main, to: objects[Int(id.index)].node!)
            if config.execTimeoutScope == .execution, let timeout = config.execTimeoutSeconds {
                emit(.startTimer(.execTimeout(id, generation: objects[Int(id.index)].generation), afterSeconds: timeout))
            }
        }
    }

    mutating func objectStarted(_ app: AppID, _ object: ObjectID, vmWasReady: Bool, from node: NodeID) {
        if config.usesOriginalCreation { return createdObjectStarted(app, object, from: node) }
        guard case .starting(let round, let pending) = apps[Int(app.index)].state,
              objects[Int(object.index)].initiator == .starting else {
            // The round was given up while this object started; its cancel is on its way.
            ignoredEvents += 1
            return
        }
        objects[Int(object.index)].initiator = .running
        guard pending == 1 else {
            apps[Int(app.index)].state = .starting(round: round, pending: pending - 1)
            return
        }
        let unfinished = apps[Int(app.index)].unfinishedObjects
        apps[Int(app.index)].state = .running(remaining: unfinished)
        if unfinished == 0 { applicationFinished(app, outcome: .completed) }
    }

    mutating func objectFailed(_ app: AppID, _ object: ObjectID, reason: FailureReason, from node: NodeID) {
        if config.usesOriginalCreation { return createdObjectFailed(app, object, reason: reason, from: node) }
        switch apps[Int(app.index)].state {
        case .reserving(let round, _), .starting(let round, _):
            objects[Int(object.index)].initiator = .cancelled
            roundFailed(app, round: round, reason: reason)
        case .running:
            // A running object crashed: the application fails (no restart in POP-C++).
            objects[Int(object.index)].initiator = .cancelled
            applicationFinished(app, outcome: .failed(reason))
        case .placing, .paused, .completed, .failed, .allocating, .executing:
            ignoredEvents += 1
        }
    }

    mutating func objectCompleted(_ app: AppID, _ object: ObjectID) {
        if objects[Int(object.index)].initiator == .starting, let node = objects[Int(object.index)].node {
            // The completion overtook the object's start message on the network: it did start.
            switch apps[Int(app.index)].state {
            case .starting, .executing: objectStarted(app, object, vmWasReady: false, from: node)
            case .placing, .reserving, .running, .paused, .completed, .failed, .allocating: break
            }
        }
        guard objects[Int(object.index)].initiator == .running else {
            ignoredEvents += 1
            return
        }
        objects[Int(object.index)].initiator = .completed
        apps[Int(app.index)].unfinishedObjects -= 1
        switch apps[Int(app.index)].state {
        case .running(let remaining):
            if remaining == 1 {
                applicationFinished(app, outcome: .completed)
            } else {
                apps[Int(app.index)].state = .running(remaining: remaining - 1)
            }
        case .starting:
            // Finished before the round's last object started: counted when it starts.
            break
        case .placing, .allocating, .executing:
            // The original creates objects one call after another: earlier ones may finish meanwhile.
            precondition(config.usesOriginalCreation, "\(object) of \(app) finished while its round is placed")
        case .completed, .failed:
            // The application failed (another object crashed) while this completion was on its way.
            ignoredEvents += 1
        case .reserving, .paused:
            preconditionFailure("\(object) of \(app) ran while the application is \(apps[Int(app.index)].state)")
        }
    }

    mutating func execTimedOut(_ object: ObjectID, generation: UInt32) {
        switch config.execTimeoutScope {
        case .callback: callbackTimedOut(object, generation: generation)
        case .execution: executionTimedOut(object, generation: generation)
        }
    }

    /// The initiator's clock, started with the Execute, ran out before the object ran.
    mutating func executionTimedOut(_ object: ObjectID, generation: UInt32) {
        let record = self.object(object)
        if config.usesOriginalCreation {
            guard record.generation == generation, record.initiator == .starting, let node = record.node,
                  case .executing(let round, _) = apps[Int(record.app.index)].state else { return }
            return execObjFailed(record.app, on: node, reason: .execTimeout, round: round)
        }
        guard record.generation == generation, record.initiator == .starting,
              case .starting(let round, _) = apps[Int(record.app.index)].state else { return }
        objects[Int(object.index)].initiator = .cancelled
        roundFailed(record.app, round: round, reason: .execTimeout)
    }

    /// Cancels every reservation of the round and kills what it created; pauses, then retries.
    mutating func roundFailed(_ app: AppID, round: Int32, reason: FailureReason) {
        let a = self.app(app)
        for o in a.objects() {
            let id = ObjectID(Int(o))
            let record = self.object(id)
            switch record.initiator {
            case .reserving, .reserved, .starting, .running, .cancelled:
                if let node = record.node { send(.cancelObject(app, id, booking: round), from: a.main, to: node) }
            case .unplaced, .completed:
                break
            }
            objects[Int(o)].initiator = .cancelled
            objects[Int(o)].generation &+= 1
        }
        if round >= config.creationRounds {
            applicationFinished(app, outcome: .failed(reason))
            return
        }
        apps[Int(app.index)].state = .paused(nextRound: round + 1)
        emit(.startTimer(.errorPauseOver(app), afterSeconds: config.errorPauseSeconds))
    }

    mutating func roundTimedOut(_ app: AppID, round: Int32) {
        switch apps[Int(app.index)].state {
        case .placing(let current) where current == round && config.usesOriginalCreation,
             .allocating(let current) where current == round,
             .executing(let current, _) where current == round:
            // The original's calls block until the connection breaks: the call throws and the application fails.
            creationFailed(app, reason: .noReply)
        case .placing(let current) where current == round,
             .reserving(let current, _) where current == round,
             .starting(let current, _) where current == round:
            roundFailed(app, round: round, reason: .noReply)
        case .placing, .reserving, .starting, .running, .paused, .completed, .failed, .allocating, .executing:
            break
        }
    }

    mutating func errorPauseOver(_ app: AppID) {
        guard case .paused(let next) = apps[Int(app.index)].state else { return }
        startRound(app, round: next)
    }

    /// The main process died: the application fails and nobody tells the nodes. What it reserved
    /// is released only by reservation expiry.
    mutating func applicationCrashed(_ app: AppID) {
        guard !apps[Int(app.index)].isFinished else { return }
        apps[Int(app.index)].state = .failed(.mainCrashed)
        for o in apps[Int(app.index)].objects() { objects[Int(o)].initiator = .cancelled }
        emit(.report(.applicationFinished(app, succeeded: false, reason: .mainCrashed)))
    }

    /// The AppService's destructor: report, then ApplicationEnd(appId, initiator: true).
    mutating func applicationFinished(_ app: AppID, outcome: Application.State) {
        apps[Int(app.index)].state = outcome
        switch outcome {
        case .failed(let reason):
            emit(.report(.applicationFinished(app, succeeded: false, reason: reason)))
        default:
            emit(.report(.applicationFinished(app, succeeded: true, reason: nil)))
        }
        notifyApplicationEnd(app)
    }
}
