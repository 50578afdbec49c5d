/// The initiator's view of an application (its AppService and the main node's JobMgr).
public struct Application: Equatable, Sendable {
    public enum State: Equatable, Sendable {
        /// Waiting for a placement: the broker's answer or the discovery wait.
        case placing(round: Int32)
        /// Reserve sent for every object; waiting for the answers.
        case reserving(round: Int32, pending: Int32)
        /// Execute sent; waiting until every object runs.
        case starting(round: Int32, pending: Int32)
        /// Every object runs; waiting for them to complete.
        case running(remaining: Int32)
        /// A round failed; the next one starts when the pause is over.
        case paused(nextRound: Int32)
        /// The original's `AllocResource`: one Reserve at a time over the attempt's responders.
        case allocating(round: Int32)
        /// The original's `ExecObj` on one node: `pending` of its objects have not started yet.
        case executing(round: Int32, pending: Int32)
        case completed
        case failed(FailureReason)
    }

    public let main: NodeID
    public let firstObject: ObjectID
    public let objectCount: Int32
    public internal(set) var state: State
    var request: RequestID
    /// Objects of the current round that have not completed (an object may finish before
    /// the last one of its round has started).
    var unfinishedObjects: Int32 = 0
    /// The original's `CreateObject` call in progress.
    var call = CreateCall()

    public var isFinished: Bool {
        switch state {
        case .completed, .failed: true
        case .placing, .reserving, .starting, .running, .paused, .allocating, .executing: false
        }
    }

    public func objects() -> Range<Int32> { firstObject.index..<(firstObject.index + objectCount) }
}

/// One `CreateObject` call of the original flow (`CreationFlow.perObject`, `.batch`): its objects are those
/// of the application in `start..<end`.
struct CreateCall: Equatable, Sendable {
    /// The call's objects: `start..<end` (object indices).
    var start: Int32 = 0
    var end: Int32 = 0
    /// Attempts left after the current one (`retry` in `JobMgr::CreateObject`).
    var attemptsLeft: Int32 = 0
    /// `AllocResource`: the responder the next Reserve goes to (cycling) and how many refused.
    var cursor: Int32 = 0
    var refusals: Int32 = 0
    /// Numbers every Reserve of the application, so a node books an object at most once per Reserve.
    var bookings: Int32 = 0
    /// Why the last `ExecObj` of the call failed: the application's reason if no attempt is left.
    var lastFailure: FailureReason = .prepareFailed
}

/// One parallel object, as seen by the initiator and by the node hosting it.
public struct ObjectRecord: Equatable, Sendable {
    public enum InitiatorState: Equatable, Sendable {
        case unplaced
        case reserving
        case reserved
        case starting
        case running
        case completed
        case cancelled
    }

    public enum HostState: Equatable, Sendable {
        case none
        /// Reserved, no Execute yet (reservation expiry applies).
        case reserved
        /// Waiting for its VM's preparation.
        case waitingForVM
        /// The requester key is being written.
        case writingKey
        /// `ssh <ip> <command>` issued.
        case launching
        case running
        /// Could not start here (key missing, launch failed); the job is held until cancel or end.
        case failed
        case finished
        case released

        /// Execute arrived (the object is being started, runs or ran).
        var executed: Bool {
            switch self {
            case .waitingForVM, .writingKey, .launching, .running, .finished: true
            case .none, .reserved, .failed, .released: false
            }
        }
    }

    public let app: AppID
    public internal(set) var initiator: InitiatorState = .unplaced
    public internal(set) var host: HostState = .none
    public internal(set) var node: NodeID?
    public internal(set) var vm: VMID?
    /// The VM was ready (prepared for the application) when the object was executed.
    public internal(set) var vmWasReady = false
    var request: RequestID
    /// Initiator side: the number of the object's last Reserve under the original creation (its cancel carries it).
    var booking: Int32 = 0
    /// Host side: the last creation round whose Reserve for this object arrived.
    var reservedRound: Int32 = 0
    /// Host side: the node that booked the object. `node` is where the initiator sent it; the two
    /// differ when a Reserve is lost and the next round goes elsewhere.
    public internal(set) var hostNode: NodeID?
    /// Bumped whenever the object is re-placed, so stale timers are ignored.
    var generation: UInt32 = 0
    var nextWaiting: Int32 = -1
}
