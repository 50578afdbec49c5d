import Model
import Sim

/// Tells the lifecycle events the driver caused from those it did not: which domain is which worker, and per
/// worker whether one of the driver's hypervisor calls is in flight on it.
///
/// libvirt delivers events on its own thread, asynchronously: an event a call caused may arrive after the call
/// returned (the daemon sends the reply and the event separately). So a worker stays "own" for
/// `settleWallSeconds` after the driver's last call on it returned; an outside change within that window is
/// missed until the next one. Outside it, and with no call in flight, an event is the hypervisor reporting a
/// change behind Model's back.
///
/// Thread-safe: `callStarted` on the loop thread, `callFinished` on the work pool, `classify` on libvirt's event
/// thread; all state is behind one lock.
final class LifecycleWatch: Sendable {
    private struct Worker {
        let vm: VMID
        var callsInFlight = 0
        var quietUntil: ContinuousClock.Instant?
    }

    private struct State {
        var workers: [String: Worker] = [:]
        var names: [VMID: String] = [:]
        var open = true
    }

    let settleWallSeconds: Double
    private let clock = ContinuousClock()
    private let state = Locked(State())

    init(settleWallSeconds: Double) {
        self.settleWallSeconds = settleWallSeconds
    }

    /// Domain `name` is worker `vm`; events about it count from now, after a settle window (its creation or the
    /// start-up revert may still be reporting).
    func watch(_ name: String, as vm: VMID) {
        let until = clock.now + WallTime.duration(seconds: settleWallSeconds)
        state.withLock { state in
            if state.workers[name] == nil { state.workers[name] = Worker(vm: vm) }
            state.workers[name]?.quietUntil = until
            state.names[vm] = name
        }
    }

    /// The driver is about to call the hypervisor about `vm`.
    func callStarted(_ vm: VMID) {
        state.withLock { state in
            guard let name = state.names[vm] else { return }
            state.workers[name]?.callsInFlight += 1
        }
    }

    /// The driver's call about `vm` returned (succeeded or not).
    func callFinished(_ vm: VMID) {
        let until = clock.now + WallTime.duration(seconds: settleWallSeconds)
        state.withLock { state in
            guard let name = state.names[vm], var worker = state.workers[name] else { return }
            worker.callsInFlight = max(0, worker.callsInFlight - 1)
            worker.quietUntil = until
            state.workers[name] = worker
        }
    }

    /// No more events are passed on (the run is ending; its own clean-up reverts follow).
    func close() {
        state.withLock { $0.open = false }
    }

    /// The worker and the power an event says it now has, if the event is about a watched worker, changes its
    /// power, and was not caused by the driver.
    func classify(domainName: String, event: DomainLifecycleEvent) -> (vm: VMID, power: PowerState)? {
        guard let power = Self.power(after: event) else { return nil }
        let now = clock.now
        return state.withLock { state -> (vm: VMID, power: PowerState)? in
            guard state.open, let worker = state.workers[domainName], worker.callsInFlight == 0 else { return nil }
            if let quietUntil = worker.quietUntil, now < quietUntil { return nil }
            return (worker.vm, power)
        }
    }

    /// The power state an event leaves a domain in; nil for events that do not change it.
    static func power(after event: DomainLifecycleEvent) -> PowerState? {
        switch event {
        case .stopped, .crashed, .shutdown: .off
        case .suspended, .pmSuspended: .suspended
        case .started, .resumed: .running
        case .defined, .undefined, .other: nil
        }
    }
}
