import Foundation
import Model

/// Reads a scenario file into a `Scenario`, validating every field: unknown keys, wrong
/// types and out-of-range values are errors naming file, line, column and field path.
/// `--set path=value` overrides go through the same validation.
public enum ScenarioLoader {
    /// `memoryLimitBytes`: refuse, before building the grid, a scenario whose `MemoryEstimate` is larger.
    public static func load(path: String, overrides: [String] = [], memoryLimitBytes: Int? = nil) throws -> Scenario {
        let document = try YAMLDocument.load(path: path, overrides: overrides)
        let directory = (path as NSString).deletingLastPathComponent
        let stem = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
        return try decode(document, defaultName: stem, baseDirectory: directory, memoryLimitBytes: memoryLimitBytes)
    }

    /// A scenario from a document already read (and overridden) from `path`. `traces` keeps the trace files read,
    /// so the cells of a sweep read their base's trace once.
    public static func load(document: YAMLDocument, path: String, memoryLimitBytes: Int? = nil,
                            traces: TraceCache? = nil) throws -> Scenario {
        let directory = (path as NSString).deletingLastPathComponent
        let stem = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
        return try decode(document, defaultName: stem, baseDirectory: directory, memoryLimitBytes: memoryLimitBytes,
                          traces: traces)
    }

    /// Trace files already read, by path and format (used by one thread at a time).
    public final class TraceCache {
        var jobs: [String: [TraceJob]] = [:]
        public init() {}
    }

    public static func parse(text: String, file: String = "<text>", overrides: [String] = [],
                             baseDirectory: String = ".", memoryLimitBytes: Int? = nil) throws -> Scenario {
        let document = try YAMLDocument.parse(text: text, file: file, overrides: overrides)
        return try decode(document, defaultName: "scenario", baseDirectory: baseDirectory,
                          memoryLimitBytes: memoryLimitBytes)
    }

    /// A duration given on the command line (`--until 2h`): seconds, or nil for `never`. The text is parsed as one
    /// value, never pasted into YAML; errors are reported against `flag`.
    public static func commandLineDuration(_ text: String, flag: String) throws -> Double? {
        let value = YAMLValue.commandLine(text, flag: flag)
        guard !text.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw value.error("expected seconds or a duration like 90m, found nothing")
        }
        return try optionalSeconds(value)
    }

    static func decode(_ document: YAMLDocument, defaultName: String, baseDirectory: String,
                       memoryLimitBytes: Int? = nil, traces: TraceCache? = nil) throws -> Scenario {
        let root = try keyed(document.root)
        let name = try root.optional("name")?.string() ?? defaultName
        let seed = try root.optional("seed").map { UInt64(try $0.int(in: 0...Int.max)) } ?? ScenarioDefaults.seed
        let duration = try root.optional("duration").map { try optionalSeconds($0) } ?? nil
        let mode = try root.optional("mode")?.choice(Mode.self) ?? ScenarioDefaults.grid.mode
        let fidelity = try decodeFidelity(root.optional("fidelity"))
        var platform = try decodePlatform(root.optional("platform"))
        let objectRequirements = try decodeObjectResources(root.optional("workload"))
        for i in platform.nodes.indices {
            // Unless given, a node's memory holds maxJobs objects: the advertisement then runs out
            // exactly when the job count does.
            let perObject = Int64(platform.nodes[i].maxJobs) * objectRequirements.memoryMB
            platform.nodes[i].resources = Resources(
                powerMflops: platform.resources.powerMflops ?? Resources.none.powerMflops,
                memoryMB: platform.resources.memoryMB ?? perObject,
                bandwidthMbps: platform.resources.bandwidthMbps ?? Resources.none.bandwidthMbps)
        }
        var grid = GridConfig(mode: mode, fidelity: fidelity, nodes: platform.nodes)
        try decodePolicies(root.optional("policies"), into: &grid)
        try decodeJobMgr(root.optional("jobMgr"), into: &grid)
        if let problem = grid.problem() { throw root.value.error(problem) }
        let dhcp = try decodeDHCP(root.optional("dhcp"))
        let areaOfNode = (0..<platform.nodes.count).map { $0 % dhcp.areas }
        let totalInitialVMs = platform.nodes.reduce(0) { $0 + Int($1.maxVMs) }
        if mode.usesWorkerVMs, dhcp.poolSize * dhcp.areas < 1 {
            throw root.value.error("the DHCP pools hold no address for \(totalInitialVMs) worker VMs")
        }
        let jobSlots = platform.nodes.reduce(0) { $0 + Int($1.maxJobs) }
        // Every VM and object gets a 32-bit identifier (Model's tables): a grid or workload past that is refused
        // here, not trapped on in the middle of a run.
        if totalInitialVMs > Int(Int32.max) {
            throw (root.optional("platform") ?? root.value).error(
                "nodes × maxVMs is \(totalInitialVMs) worker VMs; the simulator numbers at most \(Int32.max)")
        }
        let workload = try decodeWorkload(root.optional("workload"), nodes: platform.nodes.count, jobSlots: jobSlots,
                                          baseDirectory: baseDirectory, traces: traces)
        let faults = try decodeFaults(root.optional("faults"), nodes: platform.nodes.count, areas: dhcp.areas)
        // Everything is checked; only now is the neighbour graph (quadratic for `full`) built, and only if the run fits.
        let estimate = MemoryEstimate(grid: grid, topology: platform.topology, degree: platform.degree,
                                      workload: workload, durationSeconds: duration)
        if let memoryLimitBytes, estimate.bytes > memoryLimitBytes {
            throw ScenarioError(file: document.file, message: estimate.refusal(limitBytes: memoryLimitBytes))
        }
        connect(&grid.nodes, topology: platform.topology, degree: platform.degree)
        var scenario = Scenario(
            name: name, seed: seed, durationSeconds: duration, grid: grid,
            hypervisor: try decodeHypervisor(root.optional("hypervisor")),
            dhcp: dhcp, network: try decodeNetwork(root.optional("network")),
            workload: workload, faults: faults, areaOfNode: areaOfNode,
            coresOfNode: platform.cores, memoryMBOfNode: platform.memoryMB, vmMemoryMB: platform.vmMemoryMB)
        scenario.objectRequirements = objectRequirements
        return scenario
    }

    /// Resources given in a scenario; nil where the file left one out.
    struct GivenResources {
        var powerMflops: Int64?
        var memoryMB: Int64?
        var bandwidthMbps: Int64?
    }

    static func decodeResources(_ value: YAMLValue?) throws -> GivenResources {
        guard let m = try mapping(value) else { return GivenResources() }
        return GivenResources(
            powerMflops: try m.optional("powerMflops").map { Int64(try $0.int(in: 0...1_000_000_000)) },
            memoryMB: try m.optional("memoryMB").map { Int64(try $0.int(in: 0...1_000_000_000)) },
            bandwidthMbps: try m.optional("bandwidthMbps").map { Int64(try $0.int(in: 0...1_000_000_000)) })
    }

    /// `workload.objectResources`: what every object asks for (its object description). By
    /// default 64 MB of memory and no power or bandwidth, which the nodes' default memory matches.
    static func decodeObjectResources(_ workload: YAMLValue?) throws -> Resources {
        let defaults = ScenarioDefaults.objectResources
        guard let workload, workload.isMapping else { return defaults }
        let m = try workload.mappingWithAnyKeys()
        let given = try decodeResources(m.optional("objectResources"))
        return Resources(powerMflops: given.powerMflops ?? defaults.powerMflops,
                         memoryMB: given.memoryMB ?? defaults.memoryMB,
                         bandwidthMbps: given.bandwidthMbps ?? defaults.bandwidthMbps)
    }

    // MARK: Sections

    static func decodeFidelity(_ value: YAMLValue?) throws -> Fidelity {
        guard let value else { return ScenarioDefaults.grid.fidelity }
        if !value.isMapping { return try value.choice(FidelityBase.self).fidelity }
        let mapping = try keyed(value)
        var fidelity = try mapping.optional("base")?.choice(FidelityBase.self).fidelity ?? ScenarioDefaults.grid.fidelity
        for defect in Defect.allCases {
            if let flag = mapping.optional(defect.rawValue) { fidelity.set(defect, try flag.bool()) }
        }
        return fidelity
    }

    enum FidelityBase: String, CaseIterable {
        case faithful, fixed
        var fidelity: Fidelity { self == .faithful ? .faithful : .fixed }
    }

    enum Topology: String, CaseIterable { case full, ring, line, star, none, random }

    struct Platform {
        var nodes: [NodeConfig]
        var cores: [Int32]
        var memoryMB: [Int32]
        var vmMemoryMB: Int32
        var resources: GivenResources
        /// The neighbour graph to build (by `connect`, once the whole scenario is checked).
        var topology: Topology
        var degree: Int
    }

    static func decodePlatform(_ value: YAMLValue?) throws -> Platform {
        let m = try mapping(value)
        let count = try m?.optional("nodes")?.int(in: 1...1_000_000) ?? ScenarioDefaults.nodes
        var base = ScenarioDefaults.node
        if let v = m?.optional("maxJobs") { base.maxJobs = Int32(try v.int(in: 1...1_000_000)) }
        if let v = m?.optional("maxVMs") { base.maxVMs = Int32(try v.int(in: 1...10_000)) }
        if let v = m?.optional("initialWorkers") { base.initialWorkers = Int32(try v.int(in: 1...10_000)) }
        if let v = m?.optional("numClone") { base.startupCloning = StartupCloning(numClone: try v.int(in: -1...10_000)) }
        if base.initialWorkers > base.maxVMs, let v = m?.optional("initialWorkers") {
            throw v.error("initialWorkers (\(base.initialWorkers)) must not exceed maxVMs (\(base.maxVMs))")
        }
        var nodes = Array(repeating: base, count: count)
        var cores = Array(repeating: try m?.optional("cores").map { Int32(try $0.int(in: 1...100_000)) }
                              ?? ScenarioDefaults.cores, count: count)
        let vmMemoryMB = try m?.optional("vmMemoryMB").map { Int32(try $0.int(in: 1...10_000_000)) }
            ?? ScenarioDefaults.vmMemoryMB
        let baseMemoryMB = try m?.optional("memoryMB").map { try memoryLimit($0, vmMemoryMB: vmMemoryMB) }
            ?? ScenarioDefaults.memoryMB
        var memoryMB = Array(repeating: baseMemoryMB, count: count)
        let topology = try m?.optional("topology")?.choice(Topology.self) ?? ScenarioDefaults.topology
        let degree = try m?.optional("degree")?.int(in: 1...1000) ?? ScenarioDefaults.degree
        for entry in try m?.optional("nodeOverrides")?.sequence() ?? [] {
            let o = try keyed(entry)
            let index = try o.required("node").int(in: 0...(count - 1))
            if let v = o.optional("maxJobs") { nodes[index].maxJobs = Int32(try v.int(in: 1...1_000_000)) }
            if let v = o.optional("maxVMs") { nodes[index].maxVMs = Int32(try v.int(in: 1...10_000)) }
            if let v = o.optional("initialWorkers") { nodes[index].initialWorkers = Int32(try v.int(in: 1...10_000)) }
            if let v = o.optional("cores") { cores[index] = Int32(try v.int(in: 1...100_000)) }
            if let v = o.optional("memoryMB") { memoryMB[index] = try memoryLimit(v, vmMemoryMB: vmMemoryMB) }
            if let v = o.optional("numClone") { nodes[index].startupCloning = StartupCloning(numClone: try v.int(in: -1...10_000)) }
            if nodes[index].initialWorkers > nodes[index].maxVMs {
                throw entry.error("initialWorkers (\(nodes[index].initialWorkers)) must not exceed maxVMs (\(nodes[index].maxVMs))")
            }
        }
        return Platform(nodes: nodes, cores: cores, memoryMB: memoryMB, vmMemoryMB: vmMemoryMB,
                        resources: try decodeResources(m?.optional("resources")), topology: topology, degree: degree)
    }

    /// A node's memory limit means nothing without what a worker takes, and a node that cannot
    /// run one worker is a typo rather than an experiment.
    static func memoryLimit(_ value: YAMLValue, vmMemoryMB: Int32) throws -> Int32 {
        let limit = Int32(try value.int(in: 1...100_000_000))
        guard vmMemoryMB > 0 else {
            throw value.error("a memory limit needs platform.vmMemoryMB, the RAM (MB) one running worker VM takes")
        }
        guard limit >= vmMemoryMB else {
            throw value.error("\(limit) MB cannot run one worker VM of vmMemoryMB \(vmMemoryMB) MB")
        }
        return limit
    }

    /// Neighbour graphs for discovery. `random` is a deterministic ring plus chords, so the
    /// graph depends on the node count and degree only, never on the seed.
    ///
    /// Linear in the links it makes: a link already made is found in a set of edges, not by searching a node's
    /// list (that search made `full` cubic: 10,000 nodes took minutes). `full` lists every other node in
    /// ascending order, as linking the pairs in order did.
    static func connect(_ nodes: inout [NodeConfig], topology: Topology, degree: Int) {
        let n = nodes.count
        var edges = Set<Int>()
        func link(_ a: Int, _ b: Int) {
            guard a != b, edges.insert(min(a, b) * n + max(a, b)).inserted else { return }
            nodes[a].neighbours.append(NodeID(b))
            nodes[b].neighbours.append(NodeID(a))
        }
        switch topology {
        case .none:
            break
        case .full:
            for a in 0..<n {
                var neighbours: [NodeID] = []
                neighbours.reserveCapacity(n - 1)
                for b in 0..<n where b != a { neighbours.append(NodeID(b)) }
                nodes[a].neighbours = neighbours
            }
        case .ring:
            for a in 0..<n { link(a, (a + 1) % n) }
        case .line:
            for a in 0..<max(0, n - 1) { link(a, a + 1) }
        case .star:
            for a in 1..<max(n, 1) { link(0, a) }
        case .random:
            for a in 0..<n { link(a, (a + 1) % n) }
            var x: UInt64 = 0x9E37_79B9_7F4A_7C15
            for a in 0..<n {
                for _ in 0..<max(0, degree - 2) {
                    x = x &* 6364136223846793005 &+ 1442695040888963407
                    link(a, Int((x >> 33) % UInt64(n)))
                }
            }
        }
    }

    enum PlacementKind: String, CaseIterable { case discovery, central }

    static func decodePolicies(_ value: YAMLValue?, into grid: inout GridConfig) throws {
        guard let m = try mapping(value) else { return }
        var discovery = ScenarioDefaults.discovery
        if let v = m.optional("maxHops") { discovery.maxHops = Int32(try v.int(in: 0...1_000_000)) }
        if let v = m.optional("discoveryWait") { discovery.waitSeconds = try v.seconds() }
        if let v = m.optional("firstAnswerTimeout") { discovery.firstAnswerTimeoutSeconds = try v.seconds(in: 0.000001...1e9) }
        if let v = m.optional("rememberedRequests") { discovery.rememberedRequests = Int32(try v.int(in: 1...100_000)) }
        if let v = m.optional("discoveryForwarding") { discovery.forwarding = try v.choice(DiscoveryForwarding.self) }
        let kind = try m.optional("placement")?.choice(PlacementKind.self) ?? ScenarioDefaults.placement
        switch kind {
        case .discovery:
            grid.placement = .discovery(discovery)
        case .central:
            let broker = try m.optional("broker")?.int(in: 0...(grid.nodes.count - 1)) ?? ScenarioDefaults.broker
            grid.placement = .central(broker: NodeID(broker))
        }
        if let v = m.optional("cloneAheadThreshold") { grid.cloneAheadThreshold = Int32(try v.int(in: 0...10_000)) }
        if let v = m.optional("recycle") { grid.recycle = try v.choice(RecycleAction.self) }
        if let v = m.optional("idleTimeout") { grid.idleTimeoutSeconds = try optionalSeconds(v) }
        if let v = m.optional("idleAction") {
            grid.idleAction = try v.choice(IdleAction.self) == .suspend ? .suspend : .shutdown
        }
        if let v = m.optional("dhcpRenewal") { grid.dhcpRenewal = try v.choice(DHCPRenewal.self) }
        if let v = m.optional("mainHost") { grid.mainHost = try v.choice(MainHost.self) }
        grid.endNotification = try m.optional("endNotification")?.choice(EndNotification.self)
            ?? GridConfig.defaultEndNotification(for: grid.placement)
        if let v = m.optional("revertAtStartup") { grid.revertWorkersAtStartup = try v.bool() }
        if let v = m.optional("wake") { grid.wake = try v.choice(WakePolicy.self) }
    }

    enum IdleAction: String, CaseIterable { case shutdown, suspend }

    static func decodeJobMgr(_ value: YAMLValue?, into grid: inout GridConfig) throws {
        guard let m = try mapping(value) else { return }
        if let v = m.optional("reservationTimeout") { grid.reservationTimeoutSeconds = try optionalSeconds(v) }
        if let v = m.optional("execTimeout") { grid.execTimeoutSeconds = try optionalSeconds(v) }
        if let v = m.optional("execTimeoutScope") { grid.execTimeoutScope = try v.choice(ExecTimeoutScope.self) }
        if let v = m.optional("roundTimeout") { grid.roundTimeoutSeconds = try optionalSeconds(v) }
        if let v = m.optional("errorPause") { grid.errorPauseSeconds = try v.seconds() }
        if let v = m.optional("creationRounds") { grid.creationRounds = Int32(try v.int(in: 1...100)) }
        if let v = m.optional("creation") {
            grid.creation = try v.choice(CreationFlow.self)
            if case .central = grid.placement, grid.creation != .rounds {
                throw v.error("creation \(grid.creation.rawValue) is the original's CreateObject, which needs "
                              + "policies.placement discovery; the central broker places whole rounds (creation: rounds)")
            }
        }
        if let v = m.optional("requesterKeyMapRace") { grid.requesterKeyMapRaceSeconds = try v.seconds(in: 0...3600) }
        if let v = m.optional("addressWaitCap") { grid.addressWaitCapSeconds = try v.seconds(in: 0.000001...1e9) }
        if let v = m.optional("recycleRetry") {
            grid.recycleRetrySeconds = v.isNull || (try? v.string()) == "never" ? nil : try v.seconds(in: 0.001...1e9)
        }
    }

    static func decodeHypervisor(_ value: YAMLValue?) throws -> HypervisorTimings {
        var t = HypervisorTimings()
        guard let m = try mapping(value) else { return t }
        if let v = m.optional("storage") { t.storage = try decodeStorage(v) }
        if let v = m.optional("revert") { t.revert = try distribution(v) }
        if let v = m.optional("suspend") { t.suspend = try distribution(v) }
        if let v = m.optional("shutdown") { t.shutdown = try distribution(v) }
        if let v = m.optional("boot") { t.boot = try distribution(v) }
        if let v = m.optional("resume") { t.resume = try distribution(v) }
        if let v = m.optional("clone") { t.clone = try distribution(v) }
        if let v = m.optional("addressRead") { t.addressRead = try distribution(v) }
        if let v = m.optional("keyFetch") { t.keyFetch = try distribution(v) }
        if let v = m.optional("keyWrite") { t.keyWrite = try distribution(v) }
        if let v = m.optional("launch") { t.launch = try distribution(v) }
        return t
    }

    static func decodeStorage(_ value: YAMLValue) throws -> StorageModel {
        var storage = StorageModel()
        guard let m = try mapping(value) else { return storage }
        if let v = m.optional("readMBps") { storage.readMBps = try v.double(in: 0.001...1e7, unit: "MB/s") }
        if let v = m.optional("memoryImageMB") { storage.memoryImageMB = try v.double(in: 0...1e7, unit: "MB") }
        if let v = m.optional("bootReadMB") { storage.bootReadMB = try v.double(in: 0...1e7, unit: "MB") }
        if let v = m.optional("diskMB") { storage.diskMB = try v.double(in: 0...1e8, unit: "MB") }
        return storage
    }

    static func decodeDHCP(_ value: YAMLValue?) throws -> DHCPSettings {
        var d = DHCPSettings()
        guard let m = try mapping(value) else { return d }
        if let v = m.optional("areas") { d.areas = try v.int(in: 1...250) }
        if let v = m.optional("poolSize") { d.poolSize = try v.int(in: 1...65_000) }
        if let v = m.optional("lease") { d.leaseSeconds = try optionalSeconds(v) }
        if let v = m.optional("renew") { d.renew = try distribution(v) }
        if let v = m.optional("reversePing") { d.reversePing = try distribution(v) }
        if let v = m.optional("guestRenewalDelay") { d.guestRenewalDelay = try distribution(v) }
        return d
    }

    static func decodeNetwork(_ value: YAMLValue?) throws -> NetworkSettings {
        var n = NetworkSettings()
        guard let m = try mapping(value) else { return n }
        if let v = m.optional("latency") { n.latency = try distribution(v) }
        if let v = m.optional("bandwidthMBps") { n.bandwidthBytesPerSecond = try v.double(in: 0.000001...1e9, unit: "MB/s") * 1e6 }
        if let v = m.optional("messageBytes") { n.messageBytes = Double(try v.int(in: 1...1_000_000_000)) }
        return n
    }

    enum WorkloadKind: String, CaseIterable { case poisson, trace }

    /// `jobSlots` is the grid's job capacity (the sum of `maxJobs`): an application's objects are placed together,
    /// so one with more objects than that could never start.
    static func decodeWorkload(_ value: YAMLValue?, nodes: Int, jobSlots: Int, baseDirectory: String,
                               traces: TraceCache? = nil) throws -> Workload {
        let defaults = ScenarioDefaults.workload
        guard let m = try mapping(value) else { return .poisson(defaults) }
        let main = try mainNode(m.optional("mainNode"), nodes: nodes)
        switch try m.optional("kind")?.choice(WorkloadKind.self) ?? ScenarioDefaults.workloadKind {
        case .poisson:
            for key in ["file", "format"] where m.contains(key) {
                throw m.optional(key)!.error("only a trace workload reads a file (set kind: trace)")
            }
            let objects = try m.optional("objects").map { try objectCount($0, jobSlots: jobSlots) }
                ?? defaults.objectsPerApplication
            let applications = try m.optional("applications")?.int(in: 0...100_000_000) ?? defaults.applications
            let objectsAtMost = objects.upperBound.isFinite ? objects.upperBound : objects.mean
            if Double(applications) * objectsAtMost > Double(Int32.max) {
                throw (m.optional("applications") ?? m.value).error(
                    "\(applications) applications × \(objectsAtMost) objects is more objects than the simulator numbers "
                    + "(\(Int32.max))")
            }
            return .poisson(PoissonWorkload(
                applications: applications,
                arrivalsPerSecond: try m.optional("arrivalRate")?.double(in: 1e-12...1e9, unit: "per second")
                    ?? defaults.arrivalsPerSecond,
                objectsPerApplication: objects,
                objectSeconds: try m.optional("objectDuration").map { try distribution($0) } ?? defaults.objectSeconds,
                mainNode: main))
        case .trace:
            for key in ["applications", "arrivalRate", "objects", "objectDuration"] where m.contains(key) {
                throw m.optional(key)!.error("a trace workload takes arrivals and durations from its file")
            }
            let fileValue = try m.required("file")
            let file = try fileValue.string()
            let path = file.hasPrefix("/") ? file : (baseDirectory as NSString).appendingPathComponent(file)
            var format: TraceFormat? = nil
            if let v = m.optional("format") { format = try v.choice(TraceFormatName.self) == .swf ? .swf : .csv }
            let jobs: [TraceJob]
            let key = "\(format.map { "\($0)" } ?? "-")|\(path)"
            do {
                if let cached = traces?.jobs[key] {
                    jobs = cached
                } else {
                    jobs = try TraceFile.load(path: path, format: format).jobs
                    traces?.jobs[key] = jobs
                }
            } catch {
                throw ScenarioError(file: error.path, line: error.line > 0 ? error.line : nil, column: error.column,
                                    path: "", message: error.message + " (workload.file of \(fileValue.file))")
            }
            var totalObjects = 0
            for job in jobs {
                if job.objects > jobSlots {
                    throw fileValue.error("job \(job.id) of \(file) asks for \(job.objects) processors; the grid has "
                                          + "\(jobSlots) job slots (the sum of platform.maxJobs), so it could never start")
                }
                totalObjects += job.objects
            }
            if totalObjects > Int(Int32.max) {
                throw fileValue.error("\(file) holds \(totalObjects) objects in all; the simulator numbers at most \(Int32.max)")
            }
            return .trace(jobs: jobs, mainNode: main)
        }
    }

    enum TraceFormatName: String, CaseIterable { case csv, swf }

    /// Objects per application: whole numbers from 1 to `jobSlots` (`objects: 0` or `2.5` is a slip, not a request
    /// for one object). A continuous family (exponential, lognormal) is drawn, rounded and clamped to that range.
    static func objectCount(_ value: YAMLValue, jobSlots: Int) throws -> Distribution {
        let result = try distribution(value, unit: "objects")
        let bounded: [Double]
        switch result {
        case .fixed(let v): bounded = [v]
        case .uniform(let low, let high): bounded = [low, high]
        case .empirical(let values): bounded = values
        case .exponential, .lognormal: bounded = []
        }
        for count in bounded {
            guard count == count.rounded(), count >= 1 else {
                throw value.error("an object count must be a whole number >= 1, found \(formatCount(count))")
            }
            guard count <= Double(jobSlots) else {
                throw value.error("\(formatCount(count)) objects per application cannot be placed: the grid has \(jobSlots) "
                                  + "job slots (the sum of platform.maxJobs)")
            }
        }
        return result
    }

    static func formatCount(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }

    static func mainNode(_ value: YAMLValue?, nodes: Int) throws -> MainNodeChoice {
        guard let value else { return ScenarioDefaults.workload.mainNode }
        if (try? value.string()) == "random" { return .random }
        return .node(try value.int(in: 0...(nodes - 1)))
    }

    static func decodeFaults(_ value: YAMLValue?, nodes: Int, areas: Int) throws -> FaultSettings {
        var f = FaultSettings()
        guard let m = try mapping(value) else { return f }
        if let v = m.optional("vmCrashesPerHour") { f.vmCrashesPerHour = try v.double(in: 0...3600, unit: "per hour") }
        if let v = m.optional("dhcpOutages") { f.dhcpOutages = try outages(v, target: "area", count: areas) }
        if let v = m.optional("hypervisorOutages") { f.hypervisorOutages = try outages(v, target: "node", count: nodes) }
        if let v = m.optional("shuffleTies") { f.shuffleTies = try v.bool() }
        if let v = m.optional("messageDelay") {
            let d = try keyed(v)
            let from = try d.optional("from")?.seconds() ?? 0
            let to = try d.optional("to").map { try optionalSeconds($0) } ?? nil
            if let to, to <= from { throw d.error("the window ends (\(to) s) before it starts (\(from) s)") }
            f.messageDelay = FaultSettings.MessageDelay(extra: try distribution(d.required("extra")), fromSeconds: from,
                                                        toSeconds: to ?? .infinity)
        }
        if let v = m.optional("messageDrop") { f.messageDrop = try messageFault(v) }
        if let v = m.optional("adminRestarts") {
            f.adminRestarts = try v.sequence().map { item in
                let r = try keyed(item)
                return FaultSettings.AdminRestart(node: try r.required("node").int(in: 0...(nodes - 1)),
                                                  atSeconds: try r.required("at").seconds())
            }
        }
        if let v = m.optional("messageDuplicate") { f.messageDuplicate = try messageFault(v) }
        if let v = m.optional("revertFailure") { f.revertFailureProbability = try v.double(in: 0...1, unit: "probability") }
        if let v = m.optional("cloneFailure") { f.cloneFailureProbability = try v.double(in: 0...1, unit: "probability") }
        if let v = m.optional("objectCrash") { f.objectCrashProbability = try v.double(in: 0...1, unit: "probability") }
        if let v = m.optional("mainCrash") { f.mainCrashProbability = try v.double(in: 0...1, unit: "probability") }
        return f
    }

    /// `{probability: 0.01, kinds: [reserve, execute], from: 1h, to: 2h}`; kinds and window optional.
    static func messageFault(_ value: YAMLValue) throws -> MessageFault {
        let m = try keyed(value)
        let probability = try m.required("probability").double(in: 0...1, unit: "probability")
        let from = try m.optional("from")?.seconds() ?? 0
        let to = try m.optional("to").map { try optionalSeconds($0) } ?? nil
        if let to, to <= from { throw m.error("the window ends (\(to) s) before it starts (\(from) s)") }
        let kinds = try m.optional("kinds").map { list in
            try list.sequence().map { item in
                let name = try item.string()
                guard MessageKind.names.contains(name) else {
                    throw item.error("unknown message kind '\(name)'; expected one of: "
                                     + MessageKind.names.joined(separator: ", "))
                }
                return name
            }
        }
        return MessageFault(probability: probability, kinds: kinds, fromSeconds: from, toSeconds: to ?? .infinity)
    }

    /// `[{from: 1h, to: 90m, area: 0}, ...]`; the target key is optional (all of them) and names one of the `count`
    /// nodes or DHCP areas the scenario has.
    static func outages(_ value: YAMLValue, target: String, count: Int) throws -> [FaultSettings.Outage] {
        try value.sequence().map { item in
            let m = try keyed(item)
            let from = try m.required("from").seconds()
            let to = try m.required("to").seconds()
            if to <= from { throw m.error("the outage ends (\(to) s) before it starts (\(from) s)") }
            return FaultSettings.Outage(target: try m.optional(target)?.int(in: 0...(count - 1)), fromSeconds: from,
                                        toSeconds: to)
        }
    }

    // MARK: Values

    static func mapping(_ value: YAMLValue?) throws -> YAMLMapping? {
        guard let value else { return nil }
        return try keyed(value)
    }

    /// `value` as a mapping of the keys `ScenarioKeys` lists for its place in the document (`platform.nodeOverrides[2]`
    /// holds those of `platform.nodeOverrides[]`); an unknown key's error names the command that lists them all.
    static func keyed(_ value: YAMLValue) throws -> YAMLMapping {
        let section = ScenarioKeys.section(ofValuePath: value.path)
        var allowed = ScenarioKeys.children(of: section)
        // `include:` is resolved by `YAMLDocument` before the loader reads the document: one left (from `--set`) is an error.
        if section.isEmpty { allowed.removeAll { $0 == ScenarioKeys.include } }
        return try value.mapping(allowedKeys: allowed, listedBy: ScenarioKeys.listing(section))
    }

    /// A duration, or `never` / `null` for none.
    static func optionalSeconds(_ value: YAMLValue) throws -> Double? {
        if value.isNull || (try? value.string()) == "never" { return nil }
        return try value.seconds()
    }

    static let distributionKinds = ["fixed", "uniform", "exponential", "lognormal", "empirical"]

    /// A number or duration is a fixed value; otherwise a one-key mapping naming the family:
    /// `{uniform: [low, high]}`, `{exponential: mean}`, `{lognormal: {median:, sigma:}}`, `{empirical: [..]}`.
    static func distribution(_ value: YAMLValue, unit: String = "seconds") throws -> Distribution {
        let result: Distribution
        if !value.isMapping {
            result = .fixed(try scalar(value, unit: unit))
        } else {
            let m = try value.mapping(allowedKeys: distributionKinds)
            guard m.keys.count == 1, let kind = m.keys.first, let v = m.optional(kind) else {
                throw value.error("expected exactly one of \(distributionKinds.joined(separator: ", ")), found \(m.keys.count) keys")
            }
            switch kind {
            case "fixed":
                result = .fixed(try scalar(v, unit: unit))
            case "uniform":
                let bounds = try v.sequence()
                guard bounds.count == 2 else { throw v.error("expected [low, high], found \(bounds.count) values") }
                result = .uniform(low: try scalar(bounds[0], unit: unit), high: try scalar(bounds[1], unit: unit))
            case "exponential":
                result = .exponential(mean: try scalar(v, unit: unit))
            case "lognormal":
                let p = try v.mapping(allowedKeys: ["median", "sigma"])
                result = .lognormal(median: try scalar(p.required("median"), unit: unit),
                                    sigma: try p.required("sigma").double(in: 0...100))
            default:
                let values = try v.sequence().map { try scalar($0, unit: unit) }
                result = .empirical(values: values)
            }
        }
        if let problem = result.validate() { throw value.error(problem) }
        return result
    }

    static func scalar(_ value: YAMLValue, unit: String) throws -> Double {
        unit == "seconds" ? try value.seconds() : try value.double(in: 0...1e12, unit: unit)
    }
}
