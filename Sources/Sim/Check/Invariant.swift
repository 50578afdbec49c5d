import Model

/// What must hold in every run (checked continuously; a violation names the invariant, the
/// simulated time, the entities and the last events that touched them).
public enum Invariant: String, CaseIterable, Sendable, Codable {
    /// A worker VM never hosts objects of two applications; an object never runs in a VM
    /// reserved for another application, stale or reused address included.
    case isolation
    /// A VM is reverted to its clean snapshot before it serves a new application.
    case cleanState
    /// A key for application A is only written to VMs reserved for A, and an admin VM accepts
    /// only the confidence link's keys (never a worker's key routed to a main running there).
    case keyRouting
    /// A worker returned to FREE holds no application's key: freed running (reachable), its
    /// guest's `authorized_keys` is the clean snapshot's. A recycle by revert restores the
    /// snapshot, so the keys are gone; a failed recycle that frees the worker anyway leaves them.
    case freeWorkerKeys
    /// Two live workers serving different applications never share an SSH host key (a clone
    /// inherits its source's until its keys are regenerated).
    case hostKeys
    /// A node never has more workers (every worker not discarded, clones in progress included)
    /// than its `maxVMs`.
    case maxVMs
    /// What SearchNode advertises equals what JobMgr has reserved; never negative, never above capacity.
    case accounting
    /// When the run drains, every VM is free or held by a live application, and no
    /// reservation of a finished application is left.
    case noLeaks
    /// When the run drains, every application has completed or failed with a reason and no
    /// object is still waiting.
    case liveness
}

public struct InvariantViolation: Sendable, Codable, CustomStringConvertible {
    public var invariant: Invariant
    public var timeSeconds: Double
    /// The entities involved, e.g. `vm3 app7 node1`.
    public var entities: String
    public var detail: String
    /// The last events that mention the entities, oldest first.
    public var recentEvents: [String]

    public var description: String {
        var text = "\(invariant.rawValue) violated at \(EventText.time(timeSeconds)) [\(entities)]: \(detail)"
        if !recentEvents.isEmpty {
            text += "\n  last events:\n" + recentEvents.map { "    \($0)" }.joined(separator: "\n")
        }
        return text
    }
}
