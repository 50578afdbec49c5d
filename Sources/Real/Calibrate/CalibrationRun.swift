import Foundation
import Model
import Sim

/// Where `visag calibrate` measures: sets up a worker domain and the guest side, runs a `Calibrator` on it and
/// removes what it made.
///
/// - simulated guests: the domain `domainName` on `uri`; on the test driver it is made for the calibration (and
///   removed after) unless it exists; elsewhere it must exist with its `popc_clean` snapshot, like a run's
///   workers. Guest calls and objects are the in-process ones (`SimulatedGuestChannel`, `TimerObjectRunner`).
/// - TCG guests: one worker guest under QEMU/TCG on this machine (`TCGGuestHost`), reached over SSH
///   (`QEMUGuestChannel`, `SSHObjectRunner`). Cloning is not measured there: a clone of a QEMU worker would share
///   its disk file and its loopback forward (`TCGWorkerPlan` refuses cloning for the same reason).
public struct CalibrationRun {
    public enum Guests: String, Sendable {
        case simulated, tcg
    }

    public var uri: String
    public var credentials: HypervisorCredentials?
    public var guests: Guests
    public var cycles: Int
    public var fields: Set<Calibration.Field>
    public var domainName = WorkerNaming.domainName(node: NodeID(0), ordinal: 1)
    public var shutdownWaitWallSeconds = RealRunOptions().shutdownWaitWallSeconds
    /// TCG guests booted (`node<i>_worker1`); the cycles are shared out among them in turn, so each operation is
    /// measured with as many guests running beside it as a scenario with that many workers has (an idle guest
    /// under TCG still takes CPU time from the others).
    public var tcgWorkers = 1
    public var log: DriverLog = .standardError

    public init(uri: String, credentials: HypervisorCredentials? = nil, guests: Guests, cycles: Int,
                fields: Set<Calibration.Field>) {
        self.uri = uri
        self.credentials = credentials
        self.guests = guests
        self.cycles = cycles
        self.fields = fields
    }

    /// What TCG guests cannot measure.
    public static let unmeasuredOnTCG: Set<Calibration.Field> = [.clone]

    /// The seconds each operation took, per field measured.
    public func run(progress: (String) -> Void = { _ in }) throws(CalibrationError) -> [Calibration.Field: [Double]] {
        switch guests {
        case .simulated: return try runSimulated(progress: progress)
        case .tcg: return try runTCG(progress: progress)
        }
    }

    private func runSimulated(progress: (String) -> Void) throws(CalibrationError) -> [Calibration.Field: [Double]] {
        let connection: LibvirtConnection
        do {
            connection = try LibvirtConnection(uri: uri, username: credentials?.username, password: credentials?.password)
        } catch {
            throw CalibrationError("could not connect to \(uri): \(RealDriver.describe(error))")
        }
        defer { connection.close() }
        var made: LibvirtDomain?
        let domain: LibvirtDomain
        do {
            if let found = try? connection.lookupDomain(name: domainName) {
                domain = found
                guard try domain.snapshotNames().contains(WorkerNaming.cleanSnapshot) else {
                    throw CalibrationError("\(domainName) on \(uri) has no \(WorkerNaming.cleanSnapshot) snapshot to "
                                           + "revert to")
                }
            } else if TestDriverWorkers.isTestDriver(uri: uri) {
                domain = try TestDriverWorkers.create(named: domainName, in: connection)
                made = domain
            } else {
                throw CalibrationError("\(uri) has no domain \(domainName) to calibrate on (a worker with its "
                                       + "\(WorkerNaming.cleanSnapshot) snapshot; --domain names another)")
            }
        } catch let error as CalibrationError {
            throw error
        } catch {
            throw CalibrationError("\(domainName): \(RealDriver.describe(error))")
        }
        defer {
            if let made {
                do { try DomainRemoval.remove(made, in: connection) } catch {
                    log.line("could not remove \(domainName), made for the calibration: \(RealDriver.describe(error))")
                }
            }
        }
        let guest = GuestTarget(vm: VMID(0), node: NodeID(0), ordinal: 1, domainName: domainName)
        let calibrator = Calibrator(connection: connection, domain: domain, guest: guest,
                                    channel: SimulatedGuestChannel(), runner: TimerObjectRunner(), fields: fields)
        calibrator.shutdownWaitWallSeconds = shutdownWaitWallSeconds
        return try calibrator.run(cycles: cycles, progress: progress)
    }

    private func runTCG(progress: (String) -> Void) throws(CalibrationError) -> [Calibration.Field: [Double]] {
        if let field = fields.intersection(Self.unmeasuredOnTCG).first {
            throw CalibrationError("--guests tcg cannot measure \(field.rawValue): a clone of a QEMU worker would share "
                                   + "its disk and its loopback SSH forward")
        }
        progress("building or reusing the guest image and starting or reusing libvirtd for \(TCGGuestHost.uri)")
        let host: TCGGuestHost
        do {
            host = try TCGGuestHost()
        } catch {
            throw CalibrationError("--guests tcg: \(error)")
        }
        defer { host.tearDown(log: log) }
        let guests = (0..<max(1, tcgWorkers)).map { index in
            GuestTarget(vm: VMID(index), node: NodeID(index), ordinal: 1,
                        domainName: WorkerNaming.domainName(node: NodeID(index), ordinal: 1))
        }
        do {
            let addresses = try guests.map { guest throws(CalibrationError) -> GuestAddress in
                guard let address = QEMUGuestChannel.forwardAddress(of: guest) else {
                    throw CalibrationError("\(guest.domainName) has no loopback address")
                }
                return address
            }
            let channel = try QEMUGuestChannel(image: host.image, hostPort: try LoopbackPort.free(on: addresses))
            var domains: [LibvirtDomain] = []
            for guest in guests {
                domains.append(try host.makeWorker(guest, channel: channel, memoryMiB: TCGWorkerPlan.memoryPerGuestMiB,
                                                   bootTimeoutSeconds: TCGGuestRun.defaultBootTimeoutSeconds))
                progress("\(guest.domainName) booted and snapshotted as \(WorkerNaming.cleanSnapshot)")
            }
            let runner = SSHObjectRunner(channel: channel)
            var samples: [Calibration.Field: [Double]] = [:]
            for (index, guest) in guests.enumerated() {
                // Cycles shared out: the first guests take one more when they do not divide evenly.
                let share = cycles / guests.count + (index < cycles % guests.count ? 1 : 0)
                guard share > 0 else { continue }
                let calibrator = Calibrator(connection: host.connection, domain: domains[index], guest: guest,
                                            channel: channel, runner: runner, fields: fields)
                calibrator.shutdownWaitWallSeconds = shutdownWaitWallSeconds
                calibrator.waitUntilAnswering = { guest in
                    try channel.waitUntilReady(guest, timeoutSeconds: TCGGuestRun.defaultBootTimeoutSeconds)
                }
                for (field, values) in try calibrator.run(cycles: share, progress: { progress("\(guest.domainName): \($0)") }) {
                    samples[field, default: []] += values
                }
            }
            return samples
        } catch let error as CalibrationError {
            throw error
        } catch {
            throw CalibrationError("--guests tcg: \(error)")
        }
    }
}
