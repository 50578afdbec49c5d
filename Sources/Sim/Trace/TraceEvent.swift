import Model

/// One line of the JSON Lines trace (`--trace`): an event with named fields, `Codable`, documented in
/// `docs/TRACE.md`. Absent fields are left out. Ids are the dense integers Model uses (`vm: 3` is `vm3`);
/// addresses are dotted quads. The digest never reads this: it hashes `TraceRecorder.Fields`.
public struct TraceEvent: Codable, Sendable, Equatable {
    /// Simulated (or, for the real backend, model) time in seconds.
    public var t: Double
    /// `gridStarted`, `message`, `hypervisorFinished`, `timer`, …, `arrival`, and the world's `leaseExpired`,
    /// `leaseGranted`, `dhcpDown`, `vmCrashed`, `messageLost`, `messageDuplicated` (docs/TRACE.md lists them).
    public var kind: String
    /// The message's body or the timer's alarm (`reserve`, `reservationExpiry`, …); the hypervisor operation.
    public var what: String?
    public var node: Int32?
    public var from: Int32?
    public var to: Int32?
    public var vm: Int32?
    public var target: Int32?
    public var app: Int32?
    public var object: Int32?
    public var address: String?
    public var request: TraceRequest?
    public var round: Int32?
    public var ok: Bool?
    public var ticket: UInt32?
    public var generation: UInt32?
    public var reason: String?
    public var key: String?
    public var keyOwner: Int32?
    public var installs: Bool?
    public var power: String?
    public var hopsLeft: Int32?
    public var responder: Int32?
    public var jobs: Int32?
    public var vms: Int32?
    public var sequence: UInt32?
    public var booking: Int32?
    public var withRequesterKey: Bool?
    public var vmWasReady: Bool?
    public var area: Int32?
    /// An opaque handle of a discovery message's way back (equal handles: the same path).
    public var wayBack: Int64?

    public init(t: Double, kind: String) {
        self.t = t
        self.kind = kind
    }
}

/// A discovery request id: the node that started it and its counter there (`1__19` in the original).
public struct TraceRequest: Codable, Sendable, Equatable {
    public var node: Int32
    public var counter: UInt32
}

/// The trace's first line: what the file is and the run it comes from.
public struct TraceHeader: Codable, Sendable, Equatable {
    public static let currentVersion = 2
    public var schema = "visag-trace"
    public var version = TraceHeader.currentVersion
    public var scenario: String
    public var seed: UInt64
    public var mode: String
    public var nodes: Int
    public var recycle: String
    public var dhcpRenewal: String
    public var defects: [String]
}

extension TraceEvent {
    public init(time: Double, _ event: Event) {
        self.init(t: time, kind: "")
        switch event {
        case .gridStarted:
            kind = "gridStarted"
        case .applicationSubmitted(let a):
            kind = "applicationSubmitted"; app = a.index
        case .applicationCrashed(let a):
            kind = "applicationCrashed"; app = a.index
        case .adminRestarted(let n):
            kind = "adminRestarted"; node = n.index
        case .messageDelivered(let m):
            kind = "message"
            setMessage(m)
        case .hypervisorFinished(let v, let op, let t, let succeeded):
            kind = "hypervisorFinished"; vm = v.index; what = op.name; ticket = t; ok = succeeded
            if case .clone(let into) = op { target = into.index }
        case .addressObtained(let v, let a, let t):
            kind = "addressObtained"; vm = v.index; address = a?.description; ticket = t
        case .vmKeyFetched(let v, let t, let succeeded):
            kind = "vmKeyFetched"; vm = v.index; ticket = t; ok = succeeded
        case .keyWritten(let v, let write, let t, let succeeded):
            kind = "keyWritten"; vm = v.index; ticket = t; ok = succeeded; app = write.app?.index
            installs = write.installs
            switch write.kind {
            case .requester(let o): key = "requester"; object = o.index
            case .mainNode(let a): key = "mainNode"; keyOwner = a.index
            case .admin(let n): key = "admin"; keyOwner = n.index
            case .worker(let w): key = "worker"; keyOwner = w.index
            case .node(let n): key = "node"; keyOwner = n.index
            }
        case .objectLaunched(let o, let succeeded):
            kind = "objectLaunched"; object = o.index; ok = succeeded
        case .objectFinished(let o, let succeeded):
            kind = "objectFinished"; object = o.index; ok = succeeded
        case .vmPowerObserved(let v, let state):
            kind = "vmPowerObserved"; vm = v.index; power = state.rawValue
        case .timerFired(let alarm):
            kind = "timer"
            switch alarm {
            case .discoveryWait(let a, let r): what = "discoveryWait"; app = a.index; round = r
            case .reservationExpiry(let o, let g): what = "reservationExpiry"; object = o.index; generation = g
            case .execTimeout(let o, let g): what = "execTimeout"; object = o.index; generation = g
            case .roundTimeout(let a, let r): what = "roundTimeout"; app = a.index; round = r
            case .errorPauseOver(let a): what = "errorPauseOver"; app = a.index
            case .idleTimeout(let v, let g): what = "idleTimeout"; vm = v.index; generation = g
            case .recycleRetry(let v, let t): what = "recycleRetry"; vm = v.index; ticket = t
            case .addressWaitOver(let v, let t): what = "addressWaitOver"; vm = v.index; ticket = t
            }
        }
    }

    init(time: Double, _ change: WorldChange) {
        self.init(t: time, kind: "")
        switch change {
        case .leaseExpired(let v, let a): kind = "leaseExpired"; vm = v.index; address = a.description
        case .leaseGranted(let v, let a): kind = "leaseGranted"; vm = v.index; address = a.description
        case .dhcpDown(let v, let a): kind = "dhcpDown"; vm = v.index; area = Int32(a)
        case .vmCrashed(let v): kind = "vmCrashed"; vm = v.index
        case .messageLost(let m): kind = "messageLost"; setMessage(m)
        case .messageDuplicated(let m): kind = "messageDuplicated"; setMessage(m)
        }
    }

    private mutating func setMessage(_ m: Message) {
        from = m.from.index
        to = m.to.index
        func req(_ r: RequestID) -> TraceRequest { TraceRequest(node: r.origin.index, counter: r.counter) }
        switch m.body {
        case .placeObjects(let a, let r): what = "placeObjects"; app = a.index; round = r
        case .objectsPlaced(let a, let r): what = "objectsPlaced"; app = a.index; round = r
        case .capacityReleased(let n, let j, let v, let s):
            what = "capacityReleased"; node = n.index; jobs = j; vms = v; sequence = s
        case .vmAdded(let n, let s): what = "vmAdded"; node = n.index; sequence = s
        case .discoveryRequest(let r, let a, let hops, let back):
            what = "discoveryRequest"; request = req(r); app = a.index; hopsLeft = hops; wayBack = back.tip
        case .discoveryReply(let r, let a, let from, let back):
            what = "discoveryReply"; request = req(r); app = a.index; responder = from.index; wayBack = back.tip
        case .reserve(let a, let o, let r, let rd, let key):
            what = "reserve"; app = a.index; object = o.index; request = req(r); round = rd; withRequesterKey = key
        case .reserveAnswered(let a, let o, let accepted):
            what = "reserveAnswered"; app = a.index; object = o.index; ok = accepted
        case .execute(let a, let o): what = "execute"; app = a.index; object = o.index
        case .objectStarted(let a, let o, let ready):
            what = "objectStarted"; app = a.index; object = o.index; vmWasReady = ready
        case .objectFailed(let a, let o, let why):
            what = "objectFailed"; app = a.index; object = o.index; reason = why.rawValue
        case .objectCompleted(let a, let o): what = "objectCompleted"; app = a.index; object = o.index
        case .cancelObject(let a, let o, let b): what = "cancelObject"; app = a.index; object = o.index; booking = b
        case .applicationEnded(let a, let r, let explored):
            what = "applicationEnded"; app = a.index; request = r.map(req)
            if !explored.isEmpty { wayBack = explored.tip }
        case .routeVMKey(let a, let v): what = "routeVMKey"; app = a.index; vm = v.index
        }
    }
}
