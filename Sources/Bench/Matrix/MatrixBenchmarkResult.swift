import Sim

/// One cell of the grid: a matrix size, a worker count and a mode.
public struct MatrixCell: Sendable {
    public let size: Int
    public let workers: Int
    public let mode: MatrixMode
    /// Every timed multiplication, in order.
    public let samplesSeconds: [Double]
    /// Their mean ± σ, min … max and median.
    public let statistics: SampleStatistics
    /// Untimed multiplications before them (`--warmup`).
    public let warmupRuns: Int
    public let lowerBoundSeconds: Double
    public let lowerBoundComputeSeconds: Double
    public let lowerBoundTransferSeconds: Double
    /// The aggregate dgemm rate of min(w, cores) workers that the bound's compute term uses.
    public let computeGFLOPS: Double
    /// The aggregate echo rate of the cell's channels that the bound's transfer term uses.
    public let channelBytesPerSecond: Double
    /// 2n³ / mean.
    public var gflops: Double { DgemmRate.flops(rows: size, inner: size, columns: size) / statistics.mean / 1e9 }
    /// Starting the group's workers and opening their channels (once per worker count; the
    /// group serves every size).
    public let setupSeconds: Double
    /// Model's preparation of the group's worker VMs, from its first VM reservation to its last
    /// object launch (once per worker count, like the set-up; 0 in the modes without VMs). In
    /// neither the median nor the bound: an application pays it once, before its first product.
    public let vmPrepareSeconds: Double
    /// Of the median multiplication: time no worker was computing.
    public let transferSeconds: Double
    /// Of the median multiplication: time at least one worker was in dgemm.
    public let computeSeconds: Double
    /// The report's 2011 time for this cell, where it has one.
    public let paperSeconds: Double?
    /// Mean with 1 worker (same mode and size) / this mean; nil without a 1-worker cell.
    public var speedup: Double?
    /// This cell's mean over the standard mode's (same size and workers), ± σ; nil for the standard
    /// mode itself and without a standard cell.
    public var overhead: OverheadRatio?
    /// Largest |C − reference| over every multiplication of the cell.
    public let maxAbsError: Double

    public var meanSeconds: Double { statistics.mean }
    public var medianSeconds: Double { statistics.median }
    /// Median / the bound's median: a disturbed run moves neither.
    public var boundRatio: Double { medianSeconds / lowerBoundSeconds }
    /// How many times faster than 2011 (its time / today's mean).
    public var paperRatio: Double? { paperSeconds.map { $0 / meanSeconds } }
    /// Reasons not to trust the spread of this cell's runs.
    public var warnings: [SpreadWarning] { SpreadWarning.warnings(for: statistics) }
}

/// Everything one run measured.
public struct MatrixBenchmarkResult: Sendable {
    /// The coordinator's BLAS (workers report their kernel separately).
    public let blas: BLASLibrary
    /// Why this kernel (chosen by visag, set by the user, or as detected).
    public let kernelNote: String
    /// Kernels the workers reported; one name when all agree.
    public let workerKernels: [String]
    /// Single-thread dgemm GFLOP/s per size, measured in a worker process.
    public let dgemmGFLOPS: [Int: Double]
    public let cores: Int
    public let sshdStartSeconds: Double?
    public let cells: [MatrixCell]
    /// One per virtual group: what Model's preparation and recycling of its VMs did.
    public let preparations: [MatrixVMPreparation]
    /// The libvirt connection of the virtual modes.
    public let uri: String
    public let wallSeconds: Double
    public let notes: [String]
    /// Untimed and timed multiplications per cell.
    public let warmupRuns: Int
    public let repeats: Int
    /// What made the result: the build, the command line, the date and this machine.
    public let provenance: Provenance?
    /// What the virtual modes' VMs were (set by the benchmark after it ran).
    public var guests = MatrixGuests.simulated

    /// The headline rate: single thread, largest size.
    public var headlineGFLOPS: Double { dgemmGFLOPS[dgemmGFLOPS.keys.max() ?? 0] ?? 0 }
    /// Tolerance for the check against the reference product: |error| ≤ factor × n.
    public static let toleranceFactor = 1e-9
}

/// One virtual group's worker VMs: Model prepared them for the group's application, the workers
/// ran in them, and Model's ApplicationEnd recycled them.
public struct MatrixVMPreparation: Sendable {
    public let mode: MatrixMode
    public let workers: Int
    /// From Model's first VM reservation to its last object launch.
    public let prepareSeconds: Double
    /// From the objects' end until every VM is recycled.
    public let recycleSeconds: Double
    /// Model's key writes each guest held when its object was launched (0 in `virtual`).
    public let keyWritesPerVM: [Int]
    /// Model's reverts per VM (the preparation's and the recycle's).
    public let revertsPerVM: [Int]
    /// Every VM ended free, reverted to its clean snapshot.
    public let recycledClean: Bool
    /// Where each worker listened, e.g. 127.0.3.1.
    public let addresses: [String]

    init(vms: WorkerVMs, mode: MatrixMode, recycle: WorkerVMs.Recycle) {
        self.mode = mode
        workers = vms.slots.count
        prepareSeconds = vms.prepareSeconds
        recycleSeconds = recycle.seconds
        keyWritesPerVM = vms.slots.map(\.keyWrites.count)
        revertsPerVM = recycle.revertsPerVM
        recycledClean = recycle.clean
        addresses = vms.slots.map(\.address.description)
    }
}
