import Model

/// How the run names what it finds on the hypervisor (the report's `_worker1` rule).
public enum WorkerNaming {
    /// The snapshot every worker is reverted to; taken while the worker runs, so a revert leaves it running.
    public static let cleanSnapshot = "popc_clean"

    /// `node<i>_worker<k>`: worker `k` (from 1) of scenario node `i`; clones continue the ordinals.
    public static func domainName(node: NodeID, ordinal: Int32) -> String {
        "node\(node.index)_worker\(ordinal)"
    }
}
