import Model

// The keys that become Model's `GridConfig`: the platform's nodes, the policies and the JobMgr's settings.
extension ScenarioKeys {
    static let platform: [ScenarioKey] = {
        let node = ScenarioDefaults.node
        let each = "platform's"
        return [
            ScenarioKey("platform.nodes", .integer, KeyDefault.number(ScenarioDefaults.nodes), "", "nodes in the grid"),
            ScenarioKey("platform.maxJobs", .integer, KeyDefault.number(node.maxJobs), "",
                        "objects a node runs at once (maxjobs)"),
            ScenarioKey("platform.maxVMs", .integer, KeyDefault.number(node.maxVMs), "",
                        "worker VMs a node may have (maxvm)"),
            ScenarioKey("platform.initialWorkers", .integer, KeyDefault.number(node.initialWorkers), "",
                        "worker VMs a node has at start-up (_worker1 ...), at most maxVMs"),
            ScenarioKey("platform.numClone", .integer, KeyDefault.numClone(node.startupCloning), "",
                        "start-up cloning (num_clone): 0 off, n clones up to maxVMs, -1 up to cloneAheadThreshold + 1"),
            ScenarioKey("platform.cores", .integer, KeyDefault.limit(ScenarioDefaults.cores), "",
                        "CPU cores of a node for objects; objects beyond them wait for one"),
            ScenarioKey("platform.memoryMB", .integer, KeyDefault.limit(ScenarioDefaults.memoryMB), "MB",
                        "RAM a node's hypervisor gives running worker VMs (needs vmMemoryMB)"),
            ScenarioKey("platform.vmMemoryMB", .integer,
                        ScenarioDefaults.vmMemoryMB == 0 ? "none" : KeyDefault.number(ScenarioDefaults.vmMemoryMB), "MB",
                        "RAM one running worker VM takes; none: memory not modelled"),
            ScenarioKey("platform.topology", .choice(of: ScenarioLoader.Topology.self), ScenarioDefaults.topology.rawValue,
                        "", "the neighbour graph discovery travels (random: a ring plus chords, fixed by nodes and degree)"),
            ScenarioKey("platform.degree", .integer, KeyDefault.number(ScenarioDefaults.degree), "",
                        "links per node of the random topology"),
            ScenarioKey("platform.nodeOverrides", .list, "none", "", "per-node exceptions to the values above"),
            ScenarioKey("platform.nodeOverrides[].node", .integer, "required", "", "the node they apply to (0-based)"),
            ScenarioKey("platform.nodeOverrides[].maxJobs", .integer, each, "", "this node's maxJobs"),
            ScenarioKey("platform.nodeOverrides[].maxVMs", .integer, each, "", "this node's maxVMs"),
            ScenarioKey("platform.nodeOverrides[].initialWorkers", .integer, each, "", "this node's initialWorkers"),
            ScenarioKey("platform.nodeOverrides[].numClone", .integer, each, "", "this node's numClone"),
            ScenarioKey("platform.nodeOverrides[].cores", .integer, each, "", "this node's cores"),
            ScenarioKey("platform.nodeOverrides[].memoryMB", .integer, each, "MB", "this node's memoryMB"),
            ScenarioKey("platform.resources", .section, "", "",
                        "what each node's SearchNode advertises (checked by discovery in the standard and secure builds)"),
            ScenarioKey("platform.resources.powerMflops", .integer, KeyDefault.number(Resources.none.powerMflops),
                        "Mflops", "advertised computing power"),
            ScenarioKey("platform.resources.memoryMB", .integer, "maxJobs objects' memoryMB", "MB",
                        "advertised memory (default: maxJobs × workload.objectResources.memoryMB)"),
            ScenarioKey("platform.resources.bandwidthMbps", .integer, KeyDefault.number(Resources.none.bandwidthMbps),
                        "Mbit/s", "advertised bandwidth"),
        ]
    }()

    static let policies: [ScenarioKey] = {
        let grid = ScenarioDefaults.grid
        let discovery = ScenarioDefaults.discovery
        let endDefaults = ScenarioLoader.PlacementKind.allCases.map { kind in
            let placement: PlacementPolicy = kind == .discovery ? .discovery(discovery) : .central(broker: NodeID(0))
            return "\(GridConfig.defaultEndNotification(for: placement).rawValue) (\(kind.rawValue))"
        }
        return [
            ScenarioKey("policies.placement", .choice(of: ScenarioLoader.PlacementKind.self),
                        ScenarioDefaults.placement.rawValue, "",
                        "where objects go: discovery over the neighbour graph (the original) or a central broker"),
            ScenarioKey("policies.broker", .integer, KeyDefault.number(ScenarioDefaults.broker), "",
                        "the central broker's node (placement: central)"),
            ScenarioKey("policies.maxHops", .integer, KeyDefault.number(discovery.maxHops), "",
                        "hops a discovery request may travel from the initiator"),
            ScenarioKey("policies.discoveryWait", .duration, KeyDefault.number(discovery.waitSeconds), "s",
                        "0: wait for the first answer (or firstAnswerTimeout); more: collect answers this long"),
            ScenarioKey("policies.firstAnswerTimeout", .duration, KeyDefault.number(discovery.firstAnswerTimeoutSeconds),
                        "s", "the initiator's cap on waiting for a first answer when discoveryWait is 0"),
            ScenarioKey("policies.rememberedRequests", .integer, KeyDefault.number(discovery.rememberedRequests), "",
                        "recent request ids each node remembers to drop duplicates"),
            ScenarioKey("policies.discoveryForwarding", .choice(of: DiscoveryForwarding.self),
                        discovery.forwarding.rawValue, "",
                        "which neighbours a request goes on to: those not in its exploration list (the original), or all"),
            ScenarioKey("policies.cloneAheadThreshold", .integer, KeyDefault.number(grid.cloneAheadThreshold), "",
                        "clone when fewer VMs than this are free (ADVANCE_VM); 0 disables clone-ahead"),
            ScenarioKey("policies.recycle", .choice(of: RecycleAction.self), grid.recycle.rawValue, "",
                        "what an application's worker VM undergoes at application end"),
            ScenarioKey("policies.idleTimeout", .durationOrNever, KeyDefault.seconds(grid.idleTimeoutSeconds), "s",
                        "a free, running VM idle this long gets idleAction"),
            ScenarioKey("policies.idleAction", .choice(of: ScenarioLoader.IdleAction.self), grid.idleAction.rawValue, "",
                        "what the idle timeout does to a VM"),
            ScenarioKey("policies.dhcpRenewal", .choice(of: DHCPRenewal.self), grid.dhcpRenewal.rawValue, "",
                        "what a prepared VM does about its DHCP lease before the first job"),
            ScenarioKey("policies.mainHost", .choice(of: MainHost.self), grid.mainHost.rawValue, "",
                        "where an application's main runs: a user's machine, or its node's admin VM (forbidden by §7)"),
            ScenarioKey("policies.endNotification", .choice(of: EndNotification.self), endDefaults.joined(separator: ", "),
                        "", "how nodes learn an application ended: flooded, or told where it ran"),
            ScenarioKey("policies.revertAtStartup", .bool, KeyDefault.bool(grid.revertWorkersAtStartup), "",
                        "the start-up flow reverts every worker it finds; false models a warm pool"),
            ScenarioKey("policies.wake", .choice(of: WakePolicy.self), grid.wake.rawValue, "",
                        "how a suspended or shut-down worker comes up: revert, or resume/boot one still clean"),
        ]
    }()

    static let jobMgr: [ScenarioKey] = {
        let grid = ScenarioDefaults.grid
        return [
            ScenarioKey("jobMgr.reservationTimeout", .durationOrNever, KeyDefault.seconds(grid.reservationTimeoutSeconds),
                        "s", "an unused reservation expires after this long"),
            ScenarioKey("jobMgr.execTimeout", .durationOrNever, KeyDefault.seconds(grid.execTimeoutSeconds), "s",
                        "the object start timeout (alloc_timeout); execTimeoutScope says what it covers"),
            ScenarioKey("jobMgr.execTimeoutScope", .choice(of: ExecTimeoutScope.self), grid.execTimeoutScope.rawValue, "",
                        "callback: the host waits for the object's callback; execution: it covers Prepare VM too"),
            ScenarioKey("jobMgr.roundTimeout", .durationOrNever, KeyDefault.seconds(grid.roundTimeoutSeconds), "s",
                        "a creation round not running after this long fails (noReply), so the next one retries"),
            ScenarioKey("jobMgr.errorPause", .duration, KeyDefault.number(grid.errorPauseSeconds), "s",
                        "an application's pause after a failed creation round"),
            ScenarioKey("jobMgr.creationRounds", .integer, KeyDefault.number(grid.creationRounds), "",
                        "attempts (allocate + exec) before an application fails (CreateObject's retry)"),
            ScenarioKey("jobMgr.creation", .choice(of: CreationFlow.self), grid.creation.rawValue, "",
                        "how objects are created: the original's CreateObject per object or batch, or visag's rounds"),
            ScenarioKey("jobMgr.addressWaitCap", .duration, KeyDefault.number(grid.addressWaitCapSeconds), "s",
                        "how long Prepare VM reads an empty address before it fails (faithful reads for ever)"),
            ScenarioKey("jobMgr.recycleRetry", .durationOrNever, KeyDefault.seconds(grid.recycleRetrySeconds), "s",
                        "after a failed recycle, hold the VM and retry after this long; never: free it (the original)"),
            ScenarioKey("jobMgr.requesterKeyMapRace", .duration, KeyDefault.number(grid.requesterKeyMapRaceSeconds), "s",
                        "how long a take holds the unlocked requester-key map (requesterKeyTakeRaces)"),
        ]
    }()
}
