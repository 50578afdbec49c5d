/// The global services of one node's admin VM, as data. Their behaviour lives in the
/// ControlPlane extensions of each service's folder.
struct NodeServices {
    let config: NodeConfig
    /// JobMgr: objects reserved on the node.
    var jobs: Int32 = 0
    /// JobMgr: this node's workers in ordinal order.
    var vms: [VMID] = []
    /// JobMgr: start-up flow finished (start-up reverts done).
    var started = false
    var pendingStartupReverts: Int32 = 0
    /// SearchNode: jobs the node advertises as free (maxjobs - jobs, unless removeJob overwrote it).
    var advertisedFreeJobs: Int32
    /// SearchNode: recently seen request ids (a ring of `rememberedRequests`).
    var seenRequests: [RequestID?]
    var seenCursor: Int = 0
    /// SearchNode: counter for this node's request ids.
    var requestCounter: UInt32 = 0
    /// Cloner: the clone in progress and those waiting (sources), one at a time.
    var cloner = Cloner()
    /// SecurityManager state.
    var security = SecurityManager()

    init(config: NodeConfig, rememberedRequests: Int) {
        self.config = config
        self.advertisedFreeJobs = config.maxJobs
        self.seenRequests = Array(repeating: nil, count: max(rememberedRequests, 1))
    }

    mutating func nextRequestID(origin: NodeID) -> RequestID {
        requestCounter &+= 1
        return RequestID(origin: origin, counter: requestCounter)
    }

    /// Remembers `id`; returns false if it was seen recently (a duplicate to drop).
    mutating func remember(_ id: RequestID) -> Bool {
        for seen in seenRequests where seen == id { return false }
        seenRequests[seenCursor] = id
        seenCursor = (seenCursor + 1) % seenRequests.count
        return true
    }
}
