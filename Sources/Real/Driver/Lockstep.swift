import Model
import Sim

/// Lockstep mode's state (`RealRunOptions.lockstep`): the simulator's schedule of every completion, and the real
/// calls' completions waiting for their turn. Loop thread only.
///
/// Order. Completions, messages, timers, arrivals and object ends wait in an `Engine`, the simulator's own queue,
/// ordered by (model time, insertion), and the driver inserts them in the order Model emitted the actions, as
/// `Simulation` does. So the order Model hears of things never depends on which thread or call finished first on
/// the wall clock: an event is handed to Model when its turn comes in that queue, once its wall time (model time ×
/// time scale) has come and, for a hypervisor or guest call, once the real call has returned. A call slower than
/// its drawn latency holds the model clock until it returns (counted in `lateCalls`); it never reorders anything.
final class Lockstep {
    enum Item {
        case model(Event)
        case arrival(Int)
        case hypervisor(call: Int)
        /// `address`: what the simulator's DHCP pools give the guest (address reads only).
        case guest(call: Int, address: Address?)
        /// A worker's lease would lapse here in the simulator if it is still off.
        case leaseCheck(LockstepSchedule.LeaseCheck)
    }

    var engine = Engine<Item>(capacity: 1024)
    var schedule: LockstepSchedule
    /// Completions of real calls that returned, by call.
    var completions: [Int: DriverInput] = [:]
    /// When each outstanding call is due on the wall clock.
    private var due: [Int: ContinuousClock.Instant] = [:]
    private var nextCall = 0
    /// Real calls made, and those that returned after their drawn (scaled) latency.
    private(set) var calls = 0
    private(set) var lateCalls = 0
    private(set) var worstLateWallSeconds = 0.0
    /// Set when a worker's lease lapsed in the simulator's terms: the run is refused if anything reaches Model later.
    var lapsedLease: String?

    /// `initialVMs`: how many workers Model starts with (their lease checks are scheduled now, as the simulator
    /// schedules them when it defines them).
    init(schedule: LockstepSchedule, initialVMs: Int) {
        self.schedule = schedule
        for vm in 0..<initialVMs { scheduleLeaseCheck(schedule.leaseCheckAfterDefine(VMID(vm))) }
    }

    func scheduleLeaseCheck(_ check: LockstepSchedule.LeaseCheck?) {
        guard let check else { return }
        engine.schedule(.leaseCheck(check), afterSeconds: check.afterSeconds)
    }

    /// A new call, due at `wallDue`.
    func newCall(due wallDue: ContinuousClock.Instant) -> Int {
        let call = nextCall
        nextCall += 1
        calls += 1
        due[call] = wallDue
        return call
    }

    /// A real call returned at `now`.
    func completed(_ call: Int, _ input: DriverInput, now: ContinuousClock.Instant) {
        if let wallDue = due.removeValue(forKey: call), now > wallDue {
            lateCalls += 1
            worstLateWallSeconds = max(worstLateWallSeconds, WallTime.seconds(wallDue.duration(to: now)))
        }
        completions[call] = input
    }

    /// The call an item waits for, if any.
    static func call(of item: Item) -> Int? {
        switch item {
        case .hypervisor(let call), .guest(let call, _): call
        case .model, .arrival, .leaseCheck: nil
        }
    }
}
