import Model
import Sim

/// Fills `Sim.Metrics` from what the driver sees pass: Model's actions and reports and the completions it feeds
/// back. Every time is model seconds (wall seconds since the start divided by the time scale), so the numbers
/// read like a simulated run's; only `wallSeconds` is wall time. Operation latencies (revert, address, key
/// write) are measured on the wall clock from the action to its completion and divided by the time scale too.
struct RealMetrics {
    private(set) var metrics = Metrics()
    private var reservedAt: [Double] = []
    private var submittedAt: [Double] = []
    private var placed: [Bool] = []
    private var vmReservedSince: [Double] = []
    private var vmRunningSince: [Double] = []
    /// Per VM, the running and reserved seconds so far (`--out`'s vms.csv).
    private var vmRunning: [Double] = []
    private var vmReserved: [Double] = []
    private(set) var finishedApplications = 0

    mutating func applicationSubmitted(objects: Int, now: Double) {
        metrics.applicationsSubmitted += 1
        submittedAt.append(now)
        placed.append(false)
        reservedAt.append(contentsOf: repeatElement(Double.nan, count: objects))
    }

    mutating func modelEventHandled() { metrics.events += 1 }

    mutating func sent(_ message: Message, now: Double) {
        metrics.messages += 1
        switch message.body {
        case .reserve(let app, let object, _, _, _):
            reservedAt[Int(object.index)] = now
            if !placed[Int(app.index)] {
                placed[Int(app.index)] = true
                let wait = now - submittedAt[Int(app.index)]
                metrics.queueWait.append(wait)
                metrics.waitSum += wait
            }
        case .placeObjects, .objectsPlaced, .capacityReleased, .vmAdded, .discoveryRequest, .discoveryReply,
             .reserveAnswered, .execute, .objectStarted, .objectFailed, .objectCompleted, .cancelObject,
             .applicationEnded, .routeVMKey:
            break
        }
    }

    mutating func keyWriteIssued() { metrics.keyWrites += 1 }

    /// A launch at an address another worker (or none) answers at, as the simulator counts them.
    mutating func misdirectedLaunch() { metrics.misdirectedLaunches += 1 }

    /// A running worker stopped without the run asking (counted like the simulator's VM crashes).
    mutating func vmCrashed() { metrics.vmCrashes += 1 }

    mutating func preparationRevert(modelSeconds: Double) { metrics.prepareRevert.append(modelSeconds) }
    mutating func preparationWoken(by operation: HypervisorOperation, modelSeconds: Double) {
        metrics.prepareWoken(by: operation, modelSeconds)
    }
    mutating func addressRead(modelSeconds: Double) { metrics.prepareAddress.append(modelSeconds) }
    mutating func keyWritten(modelSeconds: Double) { metrics.prepareKeyWrite.append(modelSeconds) }

    /// `holder` is Model's holder of the VM a `vmFreed` report is about, read right after the report.
    mutating func observe(_ report: Report, now: Double, holder: (VMID) -> VMHolder) {
        switch report {
        case .applicationFinished(let app, let succeeded, let reason):
            finishedApplications += 1
            if succeeded {
                metrics.applicationsCompleted += 1
                metrics.responseSum += now - submittedAt[Int(app.index)]
            } else {
                metrics.applicationsFailed += 1
                metrics.failureReasons[reason?.rawValue ?? "unknown", default: 0] += 1
            }
            metrics.makespanSeconds = now
        case .objectRunning(let object, _, let vmWasReady):
            let latency = now - reservedAt[Int(object.index)]
            if vmWasReady { metrics.creationLatencyReady.append(latency) } else { metrics.creationLatencyPrepared.append(latency) }
        case .vmReserved(let vm, _):
            grow(to: vm)
            vmReservedSince[Int(vm.index)] = now
        case .vmFreed(let vm):
            grow(to: vm)
            if case .free = holder(vm), vmReservedSince[Int(vm.index)] >= 0 {
                metrics.vmReservedSeconds += now - vmReservedSince[Int(vm.index)]
                vmReserved[Int(vm.index)] += now - vmReservedSince[Int(vm.index)]
                vmReservedSince[Int(vm.index)] = -1
            }
        case .cloneStarted, .cloneFinished, .keyDropped, .applicationQueued, .reservationExpired, .nodeLoad,
             .discoveryMessage, .neighbourRemoved, .vmKeyAccepted, .brokerOvercounted:
            metrics.count(report)
        }
    }

    /// The domain behind `vm` is now running or not (from the driver's own hypervisor calls).
    mutating func power(of vm: VMID, running: Bool, now: Double) {
        grow(to: vm)
        let since = vmRunningSince[Int(vm.index)]
        if running, since < 0 {
            vmRunningSince[Int(vm.index)] = now
        } else if !running, since >= 0 {
            metrics.vmRunningSeconds += now - since
            vmRunning[Int(vm.index)] += now - since
            vmRunningSince[Int(vm.index)] = -1
        }
    }

    mutating func finish(plane: ControlPlane, now: Double, wallSeconds: Double) {
        metrics.simulatedSeconds = now
        metrics.wallSeconds = wallSeconds
        metrics.ignoredEvents = plane.ignoredEvents
        metrics.vmCount = plane.vms.filter(\.exists).count
        for (i, since) in vmRunningSince.enumerated() where since >= 0 {
            metrics.vmRunningSeconds += now - since
            vmRunning[i] += now - since
        }
        for (i, since) in vmReservedSince.enumerated() where since >= 0 {
            if i < plane.vms.count, case .application = plane.vms[i].holder {
                metrics.vmReservedSeconds += now - since
                vmReserved[i] += now - since
            }
        }
        vmRunningSince = vmRunningSince.map { _ in -1 }
    }

    func runningSeconds(of vm: Int) -> Double { vm < vmRunning.count ? vmRunning[vm] : 0 }
    func reservedSeconds(of vm: Int) -> Double { vm < vmReserved.count ? vmReserved[vm] : 0 }

    private mutating func grow(to vm: VMID) {
        while vmReservedSince.count <= Int(vm.index) {
            vmReservedSince.append(-1)
            vmRunningSince.append(-1)
            vmRunning.append(0)
            vmReserved.append(0)
        }
    }
}
