/// How a real run is carried out (the scenario says what runs).
public struct RealRunOptions: Sendable {
    public static let defaultURI = "test:///default"
    public static let defaultTimeScale = 0.001

    /// The libvirt connection URI.
    public var uri: String
    /// Answers to libvirt's authentication questions (`visag run --hypervisor-config`); nil: none.
    public var credentials: HypervisorCredentials?
    /// Wall seconds per model second: 0.001 runs a scenario hour in 3.6 s. Applies to arrival gaps, object compute
    /// times and Model's timers; Model's clock is the wall clock divided by it.
    public var timeScale: Double
    /// Stop at this model time, like `visag run --until` (nil: the scenario's duration, if any).
    public var untilModelSeconds: Double?
    /// Threads for blocking calls (libvirt, guest channel).
    public var workerThreads: Int
    /// How long a graceful shutdown may take before the domain is powered off (wall seconds).
    public var shutdownWaitWallSeconds: Double
    /// Leave the domains this run made on the test driver in place (tests inspect them); normally they are
    /// removed at the end.
    public var keepCreatedDomains: Bool
    /// How long after the driver's own hypervisor call on a worker returns its lifecycle events still count as the
    /// driver's (libvirt may deliver them after the reply); later ones are changes behind Model's back.
    public var lifecycleSettleWallSeconds: Double
    public var log: DriverLog
    /// Lockstep (`visag run --lockstep`): every operation's latency is drawn as the simulator draws it
    /// (`LockstepSchedule`), each real call's completion reaches Model no earlier than that latency (scaled), and
    /// Model's clock is that drawn schedule rather than the wall clock. Simulated guests and runner only.
    public var lockstep = false

    public init(uri: String = RealRunOptions.defaultURI, timeScale: Double = RealRunOptions.defaultTimeScale,
                untilModelSeconds: Double? = nil, workerThreads: Int = 2, shutdownWaitWallSeconds: Double = 30,
                keepCreatedDomains: Bool = false, log: DriverLog = .standardError,
                credentials: HypervisorCredentials? = nil, lifecycleSettleWallSeconds: Double = 0.5) {
        self.uri = uri
        self.credentials = credentials
        self.timeScale = timeScale
        self.untilModelSeconds = untilModelSeconds
        self.workerThreads = workerThreads
        self.shutdownWaitWallSeconds = shutdownWaitWallSeconds
        self.keepCreatedDomains = keepCreatedDomains
        self.lifecycleSettleWallSeconds = lifecycleSettleWallSeconds
        self.log = log
    }

    /// The first problem with these options, in words, or nil.
    public func problem() -> String? {
        if uri.isEmpty { return "the libvirt URI is empty" }
        if !timeScale.isFinite || timeScale <= 0 { return "the time scale must be a number > 0, got \(timeScale)" }
        if let until = untilModelSeconds, !until.isFinite || until < 0 {
            return "the stop time must be a number >= 0, got \(until)"
        }
        if workerThreads < 1 || workerThreads > 64 { return "worker threads must be 1...64, got \(workerThreads)" }
        if !shutdownWaitWallSeconds.isFinite || shutdownWaitWallSeconds < 0 {
            return "the shutdown wait must be a number >= 0, got \(shutdownWaitWallSeconds)"
        }
        if !lifecycleSettleWallSeconds.isFinite || lifecycleSettleWallSeconds < 0 {
            return "the lifecycle settle time must be a number >= 0, got \(lifecycleSettleWallSeconds)"
        }
        return nil
    }
}
