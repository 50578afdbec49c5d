import Model

/// A scenario: everything one run needs, as plain values. Loaded from YAML by
/// `ScenarioLoader` or built in code (the vm-pool benchmark does).
public struct Scenario: Sendable {
    public var name: String
    public var seed: UInt64
    /// Simulated seconds to run; nil runs until every application has finished.
    public var durationSeconds: Double?
    public var grid: GridConfig
    public var hypervisor: HypervisorTimings
    public var dhcp: DHCPSettings
    public var network: NetworkSettings
    public var workload: Workload
    public var faults: FaultSettings
    /// DHCP area of each node.
    public var areaOfNode: [Int]
    /// CPU cores of each node for objects (0: as many as it runs objects). An object computes on
    /// one core; objects beyond a node's cores wait for one, first come first served.
    public var coresOfNode: [Int32]
    /// RAM each node's hypervisor gives running worker VMs, in MB (0: unlimited). A power-on that
    /// would take a node past it fails at the hypervisor.
    public var memoryMBOfNode: [Int32]
    /// RAM one running worker VM holds, in MB (0: memory not modelled; set whenever a node has a limit).
    public var vmMemoryMB: Int32
    /// What each object of every application asks for (`workload.objectResources`): its object
    /// description's power, memory and bandwidth.
    public var objectRequirements: Resources = .none

    public init(name: String, seed: UInt64, durationSeconds: Double?, grid: GridConfig,
                hypervisor: HypervisorTimings, dhcp: DHCPSettings, network: NetworkSettings,
                workload: Workload, faults: FaultSettings = FaultSettings(), areaOfNode: [Int]? = nil,
                coresOfNode: [Int32]? = nil, memoryMBOfNode: [Int32]? = nil, vmMemoryMB: Int32 = 0) {
        self.name = name
        self.seed = seed
        self.durationSeconds = durationSeconds
        self.grid = grid
        self.hypervisor = hypervisor
        self.dhcp = dhcp
        self.network = network
        self.workload = workload
        self.faults = faults
        self.areaOfNode = areaOfNode ?? Array(repeating: 0, count: grid.nodes.count)
        self.coresOfNode = coresOfNode ?? Array(repeating: 0, count: grid.nodes.count)
        self.memoryMBOfNode = memoryMBOfNode ?? Array(repeating: 0, count: grid.nodes.count)
        self.vmMemoryMB = vmMemoryMB
    }

    /// The grid's job capacity, the sum of every node's `maxJobs`: an application with more objects never starts.
    public var jobSlots: Int { grid.nodes.reduce(0) { $0 + Int($1.maxJobs) } }
}

/// Latencies of the simulated hypervisors and guests.
public struct HypervisorTimings: Sendable {
    public var revert: Distribution
    public var suspend: Distribution
    public var shutdown: Distribution
    /// Powering a shut-down VM on as its disk is, until it runs (`policies.wake: reuseClean`).
    public var boot: Distribution
    /// A suspended VM continuing from its saved memory (`policies.wake: reuseClean`).
    public var resume: Distribution
    public var clone: Distribution
    /// Reading the guest's address through the tools (no renewal).
    public var addressRead: Distribution
    public var keyFetch: Distribution
    public var keyWrite: Distribution
    /// `ssh <ip> <command>` until the object runs.
    public var launch: Distribution
    /// The datastore behind revert, resume, boot and clone: their data is read at this rate on top of the
    /// latencies above (none by default).
    public var storage = StorageModel()

    public init(revert: Distribution = .fixed(30), suspend: Distribution = .fixed(5),
                shutdown: Distribution = .fixed(10), clone: Distribution = .fixed(300),
                addressRead: Distribution = .fixed(1), keyFetch: Distribution = .fixed(1),
                keyWrite: Distribution = .fixed(1), launch: Distribution = .fixed(0.5),
                boot: Distribution = .fixed(40), resume: Distribution = .fixed(5)) {
        self.revert = revert
        self.suspend = suspend
        self.shutdown = shutdown
        self.boot = boot
        self.resume = resume
        self.clone = clone
        self.addressRead = addressRead
        self.keyFetch = keyFetch
        self.keyWrite = keyWrite
        self.launch = launch
    }
}

/// What a worker's hypervisor operations read from its datastore, and how fast (report §8: preparation is
/// dominated by the revert, and faster storage shortens it). Without `readMBps` no operation reads anything.
public struct StorageModel: Sendable, Equatable {
    /// The datastore's sustained read rate.
    public var readMBps: Double?
    /// The memory image a revert to a running snapshot or a resume loads.
    public var memoryImageMB: Double = 1024
    /// What a cold boot reads from the virtual disk before the guest runs.
    public var bootReadMB: Double = 300
    /// The virtual disk a clone copies (read, then written at the same rate).
    public var diskMB: Double = 8192

    public init() {}

    public var revertSeconds: Double { seconds(memoryImageMB) }
    public var resumeSeconds: Double { seconds(memoryImageMB) }
    public var bootSeconds: Double { seconds(bootReadMB) }
    public var cloneSeconds: Double { 2 * seconds(diskMB) }

    private func seconds(_ megabytes: Double) -> Double { readMBps.map { megabytes / $0 } ?? 0 }
}

public struct DHCPSettings: Sendable {
    public var areas: Int
    /// Addresses each area's server hands out.
    public var poolSize: Int
    /// nil: leases never expire.
    public var leaseSeconds: Double?
    /// A forced renewal before the first job.
    public var renew: Distribution
    /// The guest's ping to the admin VM, which refreshes its lease.
    public var reversePing: Distribution
    /// After a revert onto a lost lease the guest's own client notices after this long.
    public var guestRenewalDelay: Distribution

    public init(areas: Int = 1, poolSize: Int = 254, leaseSeconds: Double? = 3600, renew: Distribution = .fixed(5),
                reversePing: Distribution = .fixed(1), guestRenewalDelay: Distribution = .fixed(120)) {
        self.areas = areas
        self.poolSize = poolSize
        self.leaseSeconds = leaseSeconds
        self.renew = renew
        self.reversePing = reversePing
        self.guestRenewalDelay = guestRenewalDelay
    }
}

public struct NetworkSettings: Sendable {
    /// One-way latency of a service message between two nodes.
    public var latency: Distribution
    /// Each node's link to the grid (its NIC), bytes per second; nil: no limit. A node sends its
    /// messages one after another through its link, so a burst (a flooded discovery) queues.
    public var bandwidthBytesPerSecond: Double?
    /// The size of one service message on the wire.
    public var messageBytes: Double
    public init(latency: Distribution = .fixed(0.001), bandwidthBytesPerSecond: Double? = nil, messageBytes: Double = 1024) {
        self.latency = latency
        self.bandwidthBytesPerSecond = bandwidthBytesPerSecond
        self.messageBytes = messageBytes
    }
}

public struct FaultSettings: Sendable {
    public var revertFailureProbability: Double
    public var cloneFailureProbability: Double
    public var objectCrashProbability: Double
    /// The main process of an application dies after its objects are reserved, before they run.
    public var mainCrashProbability: Double
    /// Each running worker VM crashes at this rate (exponential times, per hour running).
    public var vmCrashesPerHour: Double
    /// DHCP servers that answer nothing during a window (nil area: every area).
    public var dhcpOutages: [Outage]
    /// Hypervisor connections that fail every operation during a window (nil node: every node).
    public var hypervisorOutages: [Outage]
    /// Extra latency added to service messages sent during a window (reorders them).
    public var messageDelay: MessageDelay?
    /// Events due at the same instant run in a seeded shuffled order instead of insertion order.
    public var shuffleTies: Bool
    /// Admin VMs that restart and lose their services' memory, each at a time.
    public var adminRestarts: [AdminRestart]
    /// Service messages lost in the network (never delivered).
    public var messageDrop: MessageFault?
    /// Service messages delivered twice (the copy with its own latency).
    public var messageDuplicate: MessageFault?

    public init(revertFailureProbability: Double = 0, cloneFailureProbability: Double = 0,
                objectCrashProbability: Double = 0, mainCrashProbability: Double = 0,
                vmCrashesPerHour: Double = 0, dhcpOutages: [Outage] = [], hypervisorOutages: [Outage] = [],
                messageDelay: MessageDelay? = nil, shuffleTies: Bool = false,
                messageDrop: MessageFault? = nil, messageDuplicate: MessageFault? = nil,
                adminRestarts: [AdminRestart] = []) {
        self.revertFailureProbability = revertFailureProbability
        self.cloneFailureProbability = cloneFailureProbability
        self.objectCrashProbability = objectCrashProbability
        self.mainCrashProbability = mainCrashProbability
        self.vmCrashesPerHour = vmCrashesPerHour
        self.dhcpOutages = dhcpOutages
        self.hypervisorOutages = hypervisorOutages
        self.messageDelay = messageDelay
        self.shuffleTies = shuffleTies
        self.messageDrop = messageDrop
        self.adminRestarts = adminRestarts
        self.messageDuplicate = messageDuplicate
    }

    /// Something unavailable from `fromSeconds` (inclusive) to `toSeconds` (exclusive).
    public struct Outage: Equatable, Sendable {
        /// The area (DHCP) or node (hypervisor) affected; nil: all of them.
        public var target: Int?
        public var fromSeconds: Double
        public var toSeconds: Double
        public init(target: Int?, fromSeconds: Double, toSeconds: Double) {
            self.target = target
            self.fromSeconds = fromSeconds
            self.toSeconds = toSeconds
        }
        func covers(_ target: Int, at time: Double) -> Bool {
            (self.target == nil || self.target == target) && time >= fromSeconds && time < toSeconds
        }
    }

    public struct AdminRestart: Equatable, Sendable {
        public var node: Int
        public var atSeconds: Double
        public init(node: Int, atSeconds: Double) {
            self.node = node
            self.atSeconds = atSeconds
        }
    }

    public struct MessageDelay: Equatable, Sendable {
        public var extra: Distribution
        public var fromSeconds: Double
        public var toSeconds: Double
        public init(extra: Distribution, fromSeconds: Double = 0, toSeconds: Double = .infinity) {
            self.extra = extra
            self.fromSeconds = fromSeconds
            self.toSeconds = toSeconds
        }
    }

    static func any(_ outages: [Outage], cover target: Int, at time: Double) -> Bool {
        for outage in outages where outage.covers(target, at: time) { return true }
        return false
    }
}

/// Where applications come from.
public enum Workload: Sendable {
    case poisson(PoissonWorkload)
    /// Jobs from a trace; each job is an application with `objects` objects on `mainNode`.
    case trace(jobs: [TraceJob], mainNode: MainNodeChoice)
}

public struct PoissonWorkload: Sendable {
    public var applications: Int
    public var arrivalsPerSecond: Double
    public var objectsPerApplication: Distribution
    public var objectSeconds: Distribution
    public var mainNode: MainNodeChoice

    public init(applications: Int, arrivalsPerSecond: Double, objectsPerApplication: Distribution = .fixed(1),
                objectSeconds: Distribution, mainNode: MainNodeChoice = .random) {
        self.applications = applications
        self.arrivalsPerSecond = arrivalsPerSecond
        self.objectsPerApplication = objectsPerApplication
        self.objectSeconds = objectSeconds
        self.mainNode = mainNode
    }
}

public enum MainNodeChoice: Equatable, Sendable {
    case random
    case node(Int)
}
