import Model

/// Where and how long one parallel object runs: what `ssh <ip> popcobjrun …` would start.
public struct ObjectLaunch: Equatable, Sendable {
    public let object: ObjectID
    public let app: AppID
    public let node: NodeID
    /// nil: the object runs on the node itself (modes without worker VMs).
    public let vm: VMID?
    /// The address Model launches at (the VM's cached one).
    public let address: Address?
    public let guest: GuestTarget?
    /// The object's compute time from the workload, in model seconds.
    public let computeModelSeconds: Double
}

/// Runs parallel objects. Called on the driver's loop thread, so every call must return at once: a runner that
/// blocks (SSH into a real guest) does that work on its own threads or through `DriverLoop.runBlocking`.
public protocol ObjectRunner: AnyObject {
    /// Starts the object and reports `.objectLaunched` (the launch command returned), then `.objectFinished`
    /// when it ends, through `loop.post`.
    func launch(_ launch: ObjectLaunch, loop: DriverLoop)
    /// The object stops at once; nothing more is reported about it.
    func kill(_ object: ObjectID, loop: DriverLoop)
    /// The run is stopping: every object stops, nothing more is reported.
    func killAll(loop: DriverLoop)
    /// Objects launched that have neither finished nor been killed.
    var activeObjects: Int { get }
}

/// What a runner (or a guest channel later) may do with the driver's loop.
public struct DriverLoop: Sendable {
    let loop: EventLoop<DriverInput>
    let pool: BlockingWorkPool
    /// Wall seconds per model second.
    public let timeScale: Double

    /// Hands an event to Model, after everything posted before it. Any thread.
    public func post(_ event: Event) { loop.post(.model(event)) }

    /// Runs `body` on the loop thread after `seconds` of wall time. Loop thread only.
    public func afterWallSeconds(_ seconds: Double, _ body: @escaping @Sendable () -> Void) {
        loop.schedule(.call(body), afterWallSeconds: seconds)
    }

    /// Runs `job` on the driver's work pool, after earlier jobs of the same VM. Any thread.
    public func runBlocking(vm: VMID?, _ job: @escaping @Sendable () -> Void) {
        pool.submit(lane: vm.map { Int($0.index) } ?? -1, job)
    }
}
