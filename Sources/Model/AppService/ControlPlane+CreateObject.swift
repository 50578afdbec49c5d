/// The original's object creation (`JobMgr::CreateObject`, `AllocResource`, `ExecObj`, called by
/// `paroc_interface` once per object or once per batch): see `CreationFlow.perObject`.
///
/// A call's attempt discovers, reserves its missing objects one Reserve at a time over the responders
/// (a refusal moves the object on to the next responder; the call fails when refusals reach the number of
/// responders), then runs `ExecObj` node by node. An `ExecObj` failure cancels that node's objects and
/// the loop goes on with the next node; the next attempt (at once, no pause) recreates what is missing.
extension ControlPlane {
    /// The first call, from `applicationStarted`.
    mutating func startCreating(_ app: AppID) {
        let first = apps[Int(app.index)].firstObject.index
        apps[Int(app.index)].call.start = first
        apps[Int(app.index)].call.end = first
        startCreateCall(app, round: 1)
    }

    /// The next `CreateObject`: the next object, or every object of the application in batch.
    mutating func startCreateCall(_ app: AppID, round: Int32) {
        let a = self.app(app)
        let last = a.firstObject.index + a.objectCount
        precondition(a.call.end < last, "\(app) has no object left to create")
        apps[Int(app.index)].call.start = config.creation == .batch ? a.firstObject.index : a.call.end
        apps[Int(app.index)].call.end = config.creation == .batch ? last : a.call.end + 1
        apps[Int(app.index)].call.attemptsLeft = config.creationRounds - 1
        apps[Int(app.index)].call.refusals = 0
        startAttempt(app, round: round)
    }

    /// One pass of `CreateObject`'s retry loop: a new discovery for the call's missing objects.
    mutating func startAttempt(_ app: AppID, round: Int32) {
        guard case .discovery(let policy) = config.placement else {
            preconditionFailure("the original creation runs under discovery placement only")
        }
        apps[Int(app.index)].state = .placing(round: round)
        if !discoveryResponders[Int(app.index)].isEmpty { discoveryResponders[Int(app.index)].removeAll(keepingCapacity: true) }
        if round > 1 { rememberEarlierNodes(app) }
        for o in callObjects(app) where !isCreated(ObjectID(Int(o))) {
            placementOf[Int(o)] = ControlPlane.unplaced
            objects[Int(o)].initiator = .unplaced
            objects[Int(o)].node = nil
            objects[Int(o)].generation &+= 1
        }
        apps[Int(app.index)].call.cursor = 0
        apps[Int(app.index)].call.refusals = 0
        if let timeout = config.roundTimeoutSeconds {
            emit(.startTimer(.roundTimeout(app, round: round), afterSeconds: timeout))
        }
        startDiscovery(app, round: round, policy: policy)
    }

    @inline(__always)
    func callObjects(_ app: AppID) -> Range<Int32> {
        let call = apps[Int(app.index)].call
        return call.start..<call.end
    }

    @inline(__always)
    func isCreated(_ object: ObjectID) -> Bool {
        switch objects[Int(object.index)].initiator {
        case .running, .completed: true
        case .unplaced, .reserving, .reserved, .starting, .cancelled: false
        }
    }

    // MARK: AllocResource

    /// The discovery wait is over with `responders` answers.
    mutating func allocationStarts(_ app: AppID, round: Int32) {
        guard !discoveryResponders[Int(app.index)].isEmpty else {
            // "No ressource found for execution": thrown out of the retry loop, the call fails.
            return creationFailed(app, reason: .noResources)
        }
        apps[Int(app.index)].state = .allocating(round: round)
        reserveNextObject(app, round: round)
    }

    /// Reserves the call's next unreserved object on the responder under the cursor.
    mutating func reserveNextObject(_ app: AppID, round: Int32) {
        guard let object = callObjects(app).first(where: { objects[Int($0)].initiator == .unplaced }) else {
            return executeNextNode(app, round: round)
        }
        let responders = discoveryResponders[Int(app.index)]
        let target = responders[Int(apps[Int(app.index)].call.cursor) % responders.count]
        objects[Int(object)].initiator = .reserving
        objects[Int(object)].node = target
        placementOf[Int(object)] = target
        apps[Int(app.index)].call.bookings += 1
        objects[Int(object)].booking = apps[Int(app.index)].call.bookings
        let a = self.app(app)
        let carriesKey = config.mode.usesKeys && !carriesKeyOnlyAtDiscovery
        send(.reserve(app, ObjectID(Int(object)), a.request, round: a.call.bookings, carriesRequesterKey: carriesKey),
             from: a.main, to: target)
    }

    mutating func allocationAnswered(_ app: AppID, _ object: ObjectID, accepted: Bool, from node: NodeID, round: Int32) {
        guard objects[Int(object.index)].initiator == .reserving, objects[Int(object.index)].node == node else {
            // A duplicate, or the answer of a Reserve this call moved on from.
            ignoredEvents += 1
            return
        }
        apps[Int(app.index)].call.cursor += 1
        if accepted {
            objects[Int(object.index)].initiator = .reserved
            writeKeyWithEmptyAppID(.node(node), of: app, at: apps[Int(app.index)].main)
        } else {
            objects[Int(object.index)].initiator = .unplaced
            objects[Int(object.index)].node = nil
            placementOf[Int(object.index)] = ControlPlane.unplaced
            apps[Int(app.index)].call.refusals += 1
            if apps[Int(app.index)].call.refusals == Int32(discoveryResponders[Int(app.index)].count) {
                // Every responder refused: `AllocResource` returns false and the call gives up.
                return creationFailed(app, reason: .refused)
            }
        }
        reserveNextObject(app, round: round)
    }

    // MARK: ExecObj

    /// `ExecObj` on the node of the first reserved object, for every reserved object of the call there;
    /// when none is left, the attempt is over.
    mutating func executeNextNode(_ app: AppID, round: Int32) {
        guard let first = callObjects(app).first(where: { objects[Int($0)].initiator == .reserved }),
              let node = objects[Int(first)].node else {
            return attemptOver(app, round: round)
        }
        let main = apps[Int(app.index)].main
        var pending: Int32 = 0
        for o in callObjects(app) where objects[Int(o)].initiator == .reserved && objects[Int(o)].node == node {
            let id = ObjectID(Int(o))
            objects[Int(o)].initiator = .starting
            send(.execute(app, id), from: main, to: node)
            if config.execTimeoutScope == .execution, let timeout = config.execTimeoutSeconds {
                emit(.startTimer(.execTimeout(id, generation: objects[Int(o)].generation), afterSeconds: timeout))
            }
            pending += 1
        }
        apps[Int(app.index)].state = .executing(round: round, pending: pending)
    }

    mutating func createdObjectStarted(_ app: AppID, _ object: ObjectID, from node: NodeID) {
        guard case .executing(let round, let pending) = apps[Int(app.index)].state,
              objects[Int(object.index)].initiator == .starting, objects[Int(object.index)].node == node else {
            ignoredEvents += 1
            return
        }
        objects[Int(object.index)].initiator = .running
        apps[Int(app.index)].unfinishedObjects += 1
        if pending == 1 {
            executeNextNode(app, round: round)
        } else {
            apps[Int(app.index)].state = .executing(round: round, pending: pending - 1)
        }
    }

    mutating func createdObjectFailed(_ app: AppID, _ object: ObjectID, reason: FailureReason, from node: NodeID) {
        guard !apps[Int(app.index)].isFinished, objects[Int(object.index)].node == node else {
            ignoredEvents += 1
            return
        }
        switch objects[Int(object.index)].initiator {
        case .starting:
            guard case .executing(let round, _) = apps[Int(app.index)].state else { ignoredEvents += 1; return }
            execObjFailed(app, on: node, reason: reason, round: round)
        case .running:
            // A created object crashed: the application fails (no restart in POP-C++).
            objects[Int(object.index)].initiator = .cancelled
            applicationFinished(app, outcome: .failed(reason))
        case .unplaced, .reserving, .reserved, .completed, .cancelled:
            ignoredEvents += 1
        }
    }

    /// `ExecObj` on `node` failed: its reservations are cancelled (the VM stays reserved for the
    /// application), its objects wait for the next attempt, and the loop goes on with the next node.
    mutating func execObjFailed(_ app: AppID, on node: NodeID, reason: FailureReason, round: Int32) {
        apps[Int(app.index)].call.lastFailure = reason
        let main = apps[Int(app.index)].main
        for o in callObjects(app) where objects[Int(o)].initiator == .starting && objects[Int(o)].node == node {
            send(.cancelObject(app, ObjectID(Int(o)), booking: objects[Int(o)].booking), from: main, to: node)
            objects[Int(o)].initiator = .unplaced
            objects[Int(o)].node = nil
            objects[Int(o)].generation &+= 1
        }
        executeNextNode(app, round: round)
    }

    /// Every node of the attempt has been tried: done, retried at once, or failed.
    mutating func attemptOver(_ app: AppID, round: Int32) {
        let a = self.app(app)
        if callObjects(app).allSatisfy({ isCreated(ObjectID(Int($0))) }) {
            if a.call.end < a.firstObject.index + a.objectCount { return startCreateCall(app, round: round + 1) }
            let unfinished = a.unfinishedObjects
            apps[Int(app.index)].state = .running(remaining: unfinished)
            if unfinished == 0 { applicationFinished(app, outcome: .completed) }
            return
        }
        guard a.call.attemptsLeft > 0 else { return creationFailed(app, reason: a.call.lastFailure) }
        apps[Int(app.index)].call.attemptsLeft -= 1
        startAttempt(app, round: round + 1)
    }

    /// The call failed: the objects it created are killed and the application gets the error. Reservations
    /// it made but never executed stay until ApplicationEnd, which follows at once.
    mutating func creationFailed(_ app: AppID, reason: FailureReason) {
        let main = apps[Int(app.index)].main
        for o in callObjects(app) where objects[Int(o)].initiator == .running {
            if let node = objects[Int(o)].node {
                send(.cancelObject(app, ObjectID(Int(o)), booking: objects[Int(o)].booking), from: main, to: node)
            }
            objects[Int(o)].initiator = .cancelled
        }
        applicationFinished(app, outcome: .failed(reason))
    }
}
