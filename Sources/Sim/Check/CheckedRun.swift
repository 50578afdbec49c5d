import Model

/// What every driver of Model (the simulator, the real backend) works out from the plane the same way, for the
/// invariant checker and the run's application records. Neither driver decides anything here: these only read
/// Model's state to tell the checker what to look at.
extension InvariantChecker {
    /// The node whose job accounting an event may change: only Reserve, cancel, expiry and ApplicationEnd add or
    /// remove jobs (and a restarted admin VM forgets them).
    @inline(__always)
    package static func accountingNode(touchedBy event: Event, in plane: ControlPlane) -> NodeID? {
        switch event {
        case .messageDelivered(let message):
            switch message.body {
            case .reserve, .cancelObject, .applicationEnded: return message.to
            default: return nil
            }
        case .timerFired(.reservationExpiry(let object, _)):
            return plane.objects[Int(object.index)].hostNode
        case .adminRestarted(let node):
            return node
        default:
            return nil
        }
    }

    /// `checkAccounting` with the node's counts read from `plane`. (The simulator passes the counts itself: from
    /// inside its own mutating step, handing the checker its plane would copy the plane on every such event.)
    package mutating func checkAccounting(of node: NodeID, in plane: ControlPlane, time: Double) {
        checkAccounting(node: node, jobs: plane.jobs(on: node), capacity: plane.maxJobs(on: node),
                        searchNodeJobs: plane.searchNodeJobs(on: node), advertised: plane.advertisedResources(on: node),
                        available: plane.availableResources(on: node), freeWorkers: plane.freeWorkerCounts(on: node),
                        time: time)
    }

    /// A worker was defined on `node` (Model asked for a clone): counts the node's workers up to it (Model may have
    /// asked for more in the same step; each is judged when it is defined).
    package mutating func checkWorkerLimit(defined vm: VMID, on node: NodeID, in plane: ControlPlane, maxVMs: Int32,
                                           time: Double) {
        var existing: Int32 = 0
        for id in plane.workers(on: node) where id.index <= vm.index && plane.vms[Int(id.index)].exists { existing += 1 }
        workerDefined(vm, on: node, existing: existing, maxVMs: maxVMs, time: time)
    }

    /// The end of a run: judged whole when it drained (nothing left to happen), else as cut short at `stopSeconds`,
    /// only for what settled `settleSeconds` before it.
    package mutating func checkEnd(_ plane: ControlPlane, drained: Bool, endSeconds: Double, stopSeconds: Double,
                                   settleSeconds: Double, applications: [ApplicationTimes]) {
        if drained {
            checkEnd(plane, time: endSeconds, settledBy: .infinity, applications: applications)
        } else {
            checkEnd(plane, time: stopSeconds, settledBy: stopSeconds - settleSeconds, applications: applications)
        }
    }
}

extension ApplicationTimes {
    /// The application an event concerns (itself or through one of its objects), for `lastActivity`; nil for
    /// events about no application.
    @inline(__always)
    package static func application(concernedBy event: Event, in plane: ControlPlane) -> Int32? {
        switch event {
        case .messageDelivered(let message):
            return message.body.application
        case .timerFired(let alarm):
            switch alarm {
            case .discoveryWait(let a, _), .errorPauseOver(let a), .roundTimeout(let a, _): return a.index
            case .reservationExpiry(let o, _), .execTimeout(let o, _): return plane.objects[Int(o.index)].app.index
            case .idleTimeout, .addressWaitOver, .recycleRetry: return nil
            }
        case .objectLaunched(let o, _), .objectFinished(let o, _):
            return plane.objects[Int(o.index)].app.index
        case .applicationCrashed(let a), .applicationSubmitted(let a):
            return a.index
        case .gridStarted, .hypervisorFinished, .addressObtained, .vmKeyFetched, .keyWritten, .vmPowerObserved,
             .adminRestarted:
            return nil
        }
    }

    /// Notes that `event`, delivered at `time`, concerns its application (if any).
    @inline(__always)
    package static func noteActivity(_ event: Event, at time: Double, in plane: ControlPlane,
                                     of applications: inout [ApplicationTimes]) {
        guard let app = application(concernedBy: event, in: plane), app >= 0, Int(app) < applications.count else {
            return
        }
        applications[Int(app)].lastActivity = time
    }
}
