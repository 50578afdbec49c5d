import Model

/// What reaches the driver's loop: Model events (messages, timers, an object runner's reports), completions of
/// blocking calls, power changes the hypervisor reports, the workload's arrivals and requests to stop.
enum DriverInput: Sendable {
    case model(Event)
    /// Application `index` of the workload arrives.
    case arrival(Int)
    case hypervisorDone(HypervisorCompletion)
    case guestDone(GuestCompletion)
    /// The hypervisor reports a worker's power changed, and no call of the driver caused it (`LifecycleWatch`).
    case powerObserved(VMID, PowerState)
    /// A runner's timer.
    case call(@Sendable () -> Void)
    /// The stop time (`--until`, the scenario's duration) is reached.
    case limitReached
    case stop(String)
}

/// A hypervisor call returned (on the work pool).
struct HypervisorCompletion: Sendable {
    let vm: VMID
    let operation: HypervisorOperation
    let ticket: UInt32
    let issued: ContinuousClock.Instant
    /// nil: it succeeded.
    let error: String?
    /// The new domain, for a clone that succeeded.
    let clone: LibvirtDomain?
    /// The failure was the connection itself: no later call can work either.
    let connectionLost: Bool
    /// The lockstep call this completes (-1: not lockstep).
    var call = -1
}

/// A guest-channel call returned (on the work pool).
struct GuestCompletion: Sendable {
    enum Result: Sendable {
        case address(GuestAddress?)
        case vmKey(String)
        /// With what the guest's `authorized_keys` held afterwards, of the keys the run wrote there.
        case keyWritten(KeyWrite, held: [KeyWrite])
    }

    let vm: VMID
    let ticket: UInt32
    let issued: ContinuousClock.Instant
    /// nil when the call threw (`error` says why).
    let result: Result?
    let operation: String
    let error: String?
    /// What was asked, so a failure can be reported to Model as the same call failing.
    var request: Request = .other
    /// The lockstep call this completes (-1: not lockstep).
    var call = -1

    enum Request: Sendable {
        case fetchKey
        case writeKey(KeyWrite)
        case other
    }
}
