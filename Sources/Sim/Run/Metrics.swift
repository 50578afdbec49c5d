import Model

/// Everything a run measures. Filled by the simulation as actions and events pass by.
public struct Metrics: Sendable {
    public var applicationsSubmitted = 0
    public var applicationsCompleted = 0
    public var applicationsFailed = 0
    public var failureReasons: [String: Int] = [:]
    /// Seconds from reserve to running, per object, split by whether the VM was ready.
    public var creationLatencyReady: [Double] = []
    public var creationLatencyPrepared: [Double] = []
    /// Preparation phases (seconds per operation issued by a Prepare VM).
    public var prepareRevert: [Double] = []
    /// A clean worker resumed or booted instead of reverted (`policies.wake: reuseClean`).
    public var prepareResume: [Double] = []
    public var prepareBoot: [Double] = []
    public var prepareAddress: [Double] = []
    public var prepareKeyWrite: [Double] = []
    /// Seconds from submission to the first placement, per application.
    public var queueWait: [Double] = []
    /// Seconds from submission to completion, per completed application.
    public var responseSum = 0.0
    public var waitSum = 0.0
    public var applicationsQueued = 0
    public var clonesStarted = 0
    public var clonesFinished = 0
    public var clonesFailed = 0
    public var discoveryMessages = 0
    /// Overlay edges deleted after a duplicate discovery request.
    public var discoveryEdgesRemoved = 0
    public var keyWrites = 0
    public var messages = 0
    /// Per object launched on a node with a core count: how long it waited for a core.
    public var coreWait: [Double] = []
    /// Power-ons a node's hypervisor refused for want of memory (each failed its operation).
    public var memoryRefusals = 0
    /// Messages the fault injector lost or delivered twice.
    public var messagesDropped = 0
    public var messagesDuplicated = 0
    public var maxNodeLoad: Int32 = 0
    /// Launches that reached a machine other than the intended VM (stale DHCP address).
    public var misdirectedLaunches = 0
    public var reservationsExpired = 0
    /// Key writes that did not land (a defect) or keys for an application no node knows.
    public var keysDropped = 0
    /// SSH connections a worker's guest refused for want of a key: the admin VM's launch of an object, or the
    /// requester's tunnel to it.
    public var connectionsRefused = 0
    /// Workers' own keys that the machine running their application's main accepted (the
    /// report's named weakness: the main's machine trusts every worker of its application).
    public var workerKeysAcceptedByMain = 0
    public var vmCrashes = 0
    public var makespanSeconds = 0.0
    public var vmReservedSeconds = 0.0
    public var vmRunningSeconds = 0.0
    public var vmCount = 0
    public var simulatedSeconds = 0.0
    public var events: UInt64 = 0
    public var wallSeconds = 0.0
    public var ignoredEvents = 0
    /// Why the run was stopped for making no progress (also a `liveness` violation); nil if it was not.
    public var stalled: String?
    public var digest = ""
    /// SHA-256 of the decision log (`DecisionLog`); "-" when the run kept none.
    public var decisionDigest = "-"
    /// The first violations of each invariant (bounded) and how many there were in all.
    public var violations: [InvariantViolation] = []
    public var violationCounts: [Invariant: Int] = [:]

    public init() {}

    /// The counters every driver keeps the same way from Model's reports (the timed ones,
    /// which depend on the driver's clock, are its own).
    public mutating func count(_ report: Report) {
        switch report {
        case .cloneStarted: clonesStarted += 1
        case .cloneFinished(_, let succeeded): if succeeded { clonesFinished += 1 } else { clonesFailed += 1 }
        case .keyDropped: keysDropped += 1
        case .applicationQueued: applicationsQueued += 1
        case .reservationExpired: reservationsExpired += 1
        case .nodeLoad(_, let jobs): if jobs > maxNodeLoad { maxNodeLoad = jobs }
        case .discoveryMessage: discoveryMessages += 1
        case .vmKeyAccepted: workerKeysAcceptedByMain += 1
        case .neighbourRemoved: discoveryEdgesRemoved += 1
        case .applicationFinished, .objectRunning, .vmReserved, .vmFreed, .brokerOvercounted: break
        }
    }

    /// A preparation's resume or boot took `seconds`.
    public mutating func prepareWoken(by operation: HypervisorOperation, _ seconds: Double) {
        if operation == .boot { prepareBoot.append(seconds) } else { prepareResume.append(seconds) }
    }

    /// Fraction of VM-time (worker VMs existing × simulated time) reserved by applications.
    public var vmUtilisation: Double {
        let total = Double(vmCount) * simulatedSeconds
        return total > 0 ? vmReservedSeconds / total : 0
    }

    public var meanResponseSeconds: Double {
        applicationsCompleted > 0 ? responseSum / Double(applicationsCompleted) : 0
    }
}
