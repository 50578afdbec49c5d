import Dispatch
import Model
import Real
import Sim

/// The object runner of the virtual modes: Model's objects are the benchmark's matrix workers.
/// When Model launches an object (its VM prepared: reverted, address read, keys written) the
/// runner records where (the VM's address, as the guest channel reported it) and which key
/// writes the guest holds at that moment; the benchmark then starts the worker process there and
/// says when it runs and when it ends, and Model carries on (ApplicationEnd, recycling).
///
/// `@unchecked Sendable`: every field is behind `state`'s lock; `launch`, `kill` and `killAll`
/// come from the driver's loop thread, the rest from the coordinator's.
final class WorkerVMRunner: ObjectRunner, @unchecked Sendable {
    struct Launch: Sendable {
        let object: ObjectID
        let app: AppID
        let node: NodeID
        let vm: VMID
        let guest: GuestTarget
        /// Where Model launches the object: the address the guest channel reported for the VM.
        let address: GuestAddress
        /// Model's key writes the guest's `authorized_keys` holds when the object is launched.
        let keyWrites: [KeyWrite]
        /// Monotonic seconds when Model launched it.
        let atSeconds: Double
    }

    private struct State {
        var launches: [Launch] = []
        var live: Set<ObjectID> = []
        var loop: DriverLoop?
        var firstReservationSeconds: Double?
        var failure: String?
    }

    private let state = Locked(State())
    /// The key writes whose lines the guest holds now (a revert drops earlier ones).
    private let heldWrites: @Sendable (GuestTarget) -> [KeyWrite]
    /// Signalled on every launch and when the driver stops, so that a waiter re-checks.
    let changed = DispatchSemaphore(value: 0)

    init(guestChannel: SimulatedGuestChannel) {
        heldWrites = { guest in
            let present = Set(guestChannel.authorizedKeys(of: guest.vm))
            var writes: [KeyWrite] = []
            for entry in guestChannel.keyWrites where entry.guest.vm == guest.vm && present.contains(entry.line) {
                if !writes.contains(entry.key.write) { writes.append(entry.key.write) }
            }
            return writes
        }
    }

    /// For QEMU guests: the channel read each write back from the guest's `authorized_keys`.
    init(guestChannel: QEMUGuestChannel) {
        heldWrites = { guest in
            var writes: [KeyWrite] = []
            for key in guestChannel.heldKeys(on: guest) where !writes.contains(key.write) { writes.append(key.write) }
            return writes
        }
    }

    var activeObjects: Int { state.withLock { $0.live.count } }
    var launches: [Launch] { state.withLock { $0.launches } }
    var firstReservationSeconds: Double? { state.withLock { $0.firstReservationSeconds } }
    var failure: String? { state.withLock { $0.failure } }

    /// Model's reports: the first VM reservation starts the preparation's clock.
    func observe(_ report: Report) {
        let now = MonotonicClock.nowSeconds()
        switch report {
        case .vmReserved:
            state.withLock { if $0.firstReservationSeconds == nil { $0.firstReservationSeconds = now } }
        case .applicationFinished(_, let succeeded, let reason) where !succeeded:
            state.withLock { $0.failure = "Model failed the application: \(reason.map { "\($0)" } ?? "no reason")" }
            changed.signal()
        default:
            break
        }
    }

    func launch(_ launch: ObjectLaunch, loop: DriverLoop) {
        let now = MonotonicClock.nowSeconds()
        guard let vm = launch.vm, let guest = launch.guest, let raw = launch.address?.raw else {
            state.withLock { $0.failure = "Model launched \(launch.object) outside a worker VM" }
            loop.post(.objectLaunched(launch.object, succeeded: false))
            changed.signal()
            return
        }
        let writes = heldWrites(guest)
        let address = GuestAddress(UInt8(raw >> 24), UInt8((raw >> 16) & 0xff), UInt8((raw >> 8) & 0xff), UInt8(raw & 0xff))
        let record = Launch(object: launch.object, app: launch.app, node: launch.node, vm: vm, guest: guest,
                            address: address, keyWrites: writes, atSeconds: now)
        state.withLock { state in
            state.loop = loop
            state.live.insert(launch.object)
            state.launches.append(record)
        }
        changed.signal()
    }

    func kill(_ object: ObjectID, loop: DriverLoop) {
        _ = state.withLock { $0.live.remove(object) }
    }

    func killAll(loop: DriverLoop) {
        state.withLock { $0.live.removeAll() }
    }

    /// The worker processes listen: Model hears that its objects were launched.
    func objectsStarted(_ objects: [ObjectID], succeeded: Bool) {
        guard let loop = state.withLock({ $0.loop }) else { return }
        for object in objects { loop.post(.objectLaunched(object, succeeded: succeeded)) }
    }

    /// The worker processes have ended: Model hears that its objects finished.
    func objectsFinished(_ objects: [ObjectID]) {
        guard let loop = state.withLock({ $0.loop }) else { return }
        let ending = state.withLock { state in objects.filter { state.live.contains($0) } }
        guard let last = ending.last else { return }
        // Posted while still live: a loop that saw no live object and an empty inbox would take
        // the run for stalled.
        for object in ending { loop.post(.objectFinished(object, succeeded: true)) }
        state.withLock { state in for object in ending { state.live.remove(object) } }
        // The loop may have checked for the end of the run before they left `live`, and then sleeps
        // until Model's next timer (up to a minute): wake it. Model ignores a second end.
        loop.post(.objectFinished(last, succeeded: true))
    }
}
