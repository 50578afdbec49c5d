import Foundation
import Model
import Sim

/// Times, on one worker domain, each operation Model asks of a hypervisor and a guest, through the very calls the
/// driver makes for it (`HypervisorCalls`, the `GuestChannel`, the `ObjectRunner`), in Prepare VM's order.
///
/// One cycle:
/// 1. revert, then read the address (the first guest call after a revert, as in Prepare VM: it includes waiting
///    for the guest to answer); again for `dhcp.renew` and `dhcp.reversePing` when those are measured, each after
///    its own revert;
/// 2. fetch the VM's key, write a requester key, launch an object of no compute time (until the runner reports it
///    started: for SSH, the login and `popcobjrun`'s first line);
/// 3. suspend, resume; shut down, boot: a resume and a boot last until the guest answers again (what a
///    preparation's next call would otherwise wait for), so that the simulator's wake-up plus address read adds
///    up to the real one;
/// 4. clone the worker into a scratch domain, timed as the driver's clone (shut the source off, copy, define, take
///    the clone's clean snapshot), then remove the clone and boot the source again (not timed).
/// Steps whose operations are not asked for are left out (a revert always starts a cycle). Every call that fails
/// ends the calibration with the operation's error; the domain is reverted to its clean snapshot at the end.
public final class Calibrator {
    public let connection: LibvirtConnection
    public let domain: LibvirtDomain
    public let guest: GuestTarget
    public let channel: GuestChannel
    public let runner: ObjectRunner
    public let fields: Set<Calibration.Field>
    /// As `RealRunOptions.shutdownWaitWallSeconds`: how long a graceful shutdown may take before power-off.
    public var shutdownWaitWallSeconds = RealRunOptions().shutdownWaitWallSeconds
    /// After a resume or a boot, until the guest answers; nil: at once (in-process guests).
    public var waitUntilAnswering: ((GuestTarget) throws -> Void)?
    private let keySource: KeySource = IdentityKeySource()
    private let clock = ContinuousClock()
    private var samples: [Calibration.Field: [Double]] = [:]
    private var launches = 0

    public init(connection: LibvirtConnection, domain: LibvirtDomain, guest: GuestTarget, channel: GuestChannel,
                runner: ObjectRunner, fields: Set<Calibration.Field>) {
        self.connection = connection
        self.domain = domain
        self.guest = guest
        self.channel = channel
        self.runner = runner
        self.fields = fields
    }

    /// Runs `cycles` cycles and returns the seconds each measured operation took, in the order measured.
    /// `progress` gets a line per cycle.
    public func run(cycles: Int, progress: (String) -> Void = { _ in }) throws(CalibrationError)
        -> [Calibration.Field: [Double]]
    {
        samples = [:]
        let started = clock.now
        do {
            for cycle in 1...max(1, cycles) {
                try runCycle()
                progress("cycle \(cycle) of \(cycles) done (\(String(format: "%.1f", seconds(since: started))) s)")
            }
        } catch let error as CalibrationError {
            restore()
            throw error
        } catch {
            restore()
            throw CalibrationError("\(error)")
        }
        restore()
        return samples
    }

    // MARK: One cycle

    private func runCycle() throws {
        let reads: [(Calibration.Field, DHCPRenewal)] = [(.addressRead, .none), (.renew, .renew),
                                                          (.reversePing, .reversePing)]
        var address: GuestAddress?
        let wanted = reads.filter { fields.contains($0.0) }
        for (field, renewal) in wanted.isEmpty ? [reads[0]] : wanted {
            try measure(.revert) { try HypervisorCalls.revert(domain) }
            channel.hypervisorDidReset(guest, .reverted)
            address = try measure(field, record: !wanted.isEmpty) {
                try channel.obtainAddress(of: guest, renewal: renewal)
            }
            guard address != nil else { throw CalibrationError("\(field.path): the guest \(guest) has no address") }
        }
        if fields.contains(.keyFetch) || fields.contains(.keyWrite) || fields.contains(.launch) {
            _ = try measure(.keyFetch) { try channel.fetchVMKey(of: guest) }
            let write = KeyWrite(kind: .requester(ObjectID(Int(launches))), app: AppID(0))
            let key = GuestKeyWrite(write: write, publicKey: try keySource.publicKey(for: write, mainNode: guest.node))
            try measure(.keyWrite) { try channel.writeKey(key, to: guest) }
            try measure(.launch) { try launchObject(at: address) }
        }
        if fields.contains(.suspend) || fields.contains(.resume) {
            try measure(.suspend) { try HypervisorCalls.suspend(domain) }
            channel.hypervisorDidReset(guest, .suspended)
            try measure(.resume) {
                try HypervisorCalls.resume(domain)
                channel.hypervisorDidReset(guest, .resumed)
                try waitUntilAnswering?(guest)
            }
        }
        if fields.contains(.shutdown) || fields.contains(.boot) {
            try measure(.shutdown) { try HypervisorCalls.shutdown(domain, waitWallSeconds: shutdownWaitWallSeconds) }
            channel.hypervisorDidReset(guest, .poweredOff)
            try boot(record: true)
        }
        if fields.contains(.clone) {
            let name = "\(guest.domainName)_calibration"
            let clone = try measure(.clone) {
                try HypervisorCalls.clone(domain, as: name, in: connection, shutdownWaitWallSeconds: shutdownWaitWallSeconds)
            }
            channel.hypervisorDidReset(guest, .poweredOff)
            try DomainRemoval.remove(clone, in: connection)
            try boot(record: false)
        }
    }

    private func boot(record: Bool) throws {
        try measure(.boot, record: record) {
            try HypervisorCalls.boot(domain)
            channel.hypervisorDidReset(guest, .booted)
            try waitUntilAnswering?(guest)
        }
    }

    /// Launches an object of no compute time through the runner, on a loop of its own, and waits until it has
    /// started (what is timed) and finished.
    private func launchObject(at address: GuestAddress?) throws {
        let loop = EventLoop<DriverInput>()
        let pool = BlockingWorkPool(threadCount: 1, name: "visag-calibrate")
        defer { pool.shutdown() }
        let handle = DriverLoop(loop: loop, pool: pool, timeScale: 1)
        let object = ObjectID(Int(launches))
        launches += 1
        runner.launch(ObjectLaunch(object: object, app: AppID(0), node: guest.node, vm: guest.vm,
                                   address: address?.modelAddress, guest: guest, computeModelSeconds: 0),
                      loop: handle)
        var batch: [DriverInput] = []
        var launched = false
        while true {
            guard loop.nextBatch(into: &batch, othersMayPost: runner.activeObjects > 0) else {
                throw CalibrationError("launch: the runner reported nothing about object \(object.index)")
            }
            for item in batch {
                switch item {
                case .model(.objectLaunched(object, let succeeded)):
                    guard succeeded else { throw CalibrationError("launch: the object did not start in \(guest)") }
                    launched = true
                case .model(.objectFinished(object, _)):
                    guard launched else { throw CalibrationError("launch: the object ended before it started") }
                    return
                case .call(let body):
                    body()
                default:
                    break
                }
            }
        }
    }

    // MARK: Helpers

    /// Runs `body`, and records its wall seconds under `field` when that is measured.
    @discardableResult
    private func measure<T>(_ field: Calibration.Field, record: Bool = true, _ body: () throws -> T) throws -> T {
        let start = clock.now
        let value: T
        do {
            value = try body()
        } catch let error as CalibrationError {
            throw error
        } catch {
            throw CalibrationError("\(field.path): \(RealDriver.describe(error))")
        }
        if record && fields.contains(field) {
            // The clock's resolution is a nanosecond; a log-normal needs every sample > 0.
            samples[field, default: []].append(max(seconds(since: start), 1e-9))
        }
        return value
    }

    private func seconds(since start: ContinuousClock.Instant) -> Double {
        WallTime.seconds(start.duration(to: clock.now))
    }

    /// Leaves the worker at its clean snapshot, whatever happened.
    private func restore() {
        if (try? HypervisorCalls.revert(domain)) != nil { channel.hypervisorDidReset(guest, .reverted) }
        let pool = BlockingWorkPool(threadCount: 1, name: "visag-calibrate-stop")
        runner.killAll(loop: DriverLoop(loop: EventLoop<DriverInput>(), pool: pool, timeScale: 1))
        pool.shutdown()
    }
}

/// Why a calibration could not measure what it was asked.
public struct CalibrationError: Error, CustomStringConvertible, Equatable, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
