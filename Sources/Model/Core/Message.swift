/// A service message between the global services of two nodes. The driver carries it
/// (with network latency in Sim, in-process in Real) and hands it back as `.messageDelivered`.
public struct Message: Equatable, Sendable {
    public var from: NodeID
    public var to: NodeID
    public var body: MessageBody

    public init(from: NodeID, to: NodeID, body: MessageBody) {
        self.from = from
        self.to = to
        self.body = body
    }
}

public enum MessageBody: Equatable, Sendable {
    // Central placement.
    /// The main node asks the broker to place one creation round of an application.
    case placeObjects(AppID, round: Int32)
    /// The broker's answer: the application's placement table now holds one node per object.
    case objectsPlaced(AppID, round: Int32)
    /// A node tells the broker it released jobs and VMs (application end or cancelled reservations).
    /// `sequence` numbers a node's messages to the broker, so a duplicate is not counted twice.
    case capacityReleased(node: NodeID, jobs: Int32, vms: Int32, sequence: UInt32)
    /// A node tells the broker a clone joined its pool.
    case vmAdded(node: NodeID, sequence: UInt32)

    // Discovery (decentralised placement).
    /// A flooded discovery request. `wayBack` is the path back to the initiator, newest hop last.
    case discoveryRequest(RequestID, AppID, hopsLeft: Int32, wayBack: WayBack)
    /// An answer travelling back along `wayBack`.
    case discoveryReply(RequestID, AppID, responder: NodeID, wayBack: WayBack)

    // Reservation and execution (JobMgr).
    /// `round`: the creation round; an object is booked at most once per round, so a duplicate books nothing.
    case reserve(AppID, ObjectID, RequestID, round: Int32, carriesRequesterKey: Bool)
    case reserveAnswered(AppID, ObjectID, accepted: Bool)
    case execute(AppID, ObjectID)
    /// The object runs in its worker (or on the node in non-virtual modes).
    case objectStarted(AppID, ObjectID, vmWasReady: Bool)
    case objectFailed(AppID, ObjectID, FailureReason)
    case objectCompleted(AppID, ObjectID)
    /// The initiator gives up an object of a failed round: release its reservation, kill it if it runs.
    /// `booking` is the Reserve's number (`reserve`'s `round`): a cancel that a newer Reserve of the object
    /// overtook on the network is stale and cancels nothing.
    case cancelObject(AppID, ObjectID, booking: Int32)
    /// ApplicationEnd: targeted, or spread with the request id (for duplicate suppression) and,
    /// under exploration-list forwarding, the list (`WayBack.empty` otherwise).
    case applicationEnded(AppID, RequestID?, explored: WayBack = .empty)

    // Key routing (security managers).
    /// A worker VM's own public key, rerouted to the main node of its application.
    case routeVMKey(AppID, VMID)
}

public enum FailureReason: String, Equatable, Sendable {
    case refused
    case noResources
    case execTimeout
    case prepareFailed
    case addressUnavailable
    case missingRequesterKey
    case objectCrashed
    case mainCrashed
    case cancelled
    /// The node's admin VM restarted and wiped the worker the object ran in.
    case nodeRestarted
    /// A creation round's answers never came (a lost message) within the round timeout.
    case noReply
}
