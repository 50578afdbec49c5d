import Foundation
import Model

/// The blocking libvirt side of each hypervisor operation Model asks for. Runs on the work pool, never on the
/// loop. Each call either does the whole operation or throws; the driver turns the outcome into
/// `.hypervisorFinished`.
enum HypervisorCalls {
    /// How often a graceful shutdown is checked for having finished.
    static let shutdownPollSeconds = 0.05

    static func revert(_ domain: LibvirtDomain) throws {
        try domain.revert(toSnapshot: WorkerNaming.cleanSnapshot)
    }

    /// A domain that is already paused is where Model wants it.
    static func suspend(_ domain: LibvirtDomain) throws {
        if try domain.state() == .paused { return }
        try domain.suspend()
    }

    /// Powers a shut-down domain on as its disk is (`virDomainCreate`). A domain that is already running is where
    /// Model wants it; a paused one cannot boot and libvirt says why.
    static func boot(_ domain: LibvirtDomain) throws {
        if try domain.state() == .running { return }
        try domain.start()
    }

    /// A paused domain continues from its saved memory (`virDomainResume`). A domain that is already running is
    /// where Model wants it; a shut-off one cannot resume and libvirt says why.
    static func resume(_ domain: LibvirtDomain) throws {
        if try domain.state() == .running { return }
        try domain.resume()
    }

    /// Asks the guest to shut down and waits up to `waitWallSeconds` for it; a guest that is still up then (the
    /// test driver may keep it running, a real guest may ignore ACPI) is powered off. A domain that is already off
    /// is where Model wants it.
    static func shutdown(_ domain: LibvirtDomain, waitWallSeconds: Double) throws {
        switch try domain.state() {
        case .shutoff:
            return
        case .running, .other:
            do { try domain.shutdown() } catch let error as LibvirtError {
                // A guest that cannot take the request is powered off below, like one that ignores it.
                LibvirtConnection.logger.debug("graceful shutdown refused: \(error.description)")
            }
            let clock = ContinuousClock()
            let deadline = clock.now + WallTime.duration(seconds: waitWallSeconds)
            while try domain.state() != .shutoff {
                if clock.now >= deadline {
                    try domain.destroy()
                    return
                }
                Thread.sleep(forTimeInterval: shutdownPollSeconds)
            }
        case .paused, .crashed:
            // Neither can act on a shutdown request.
            try domain.destroy()
        }
    }

    /// Clones `source` as `name` (shut down, copy the disks, define), then gives the clone its own clean snapshot:
    /// clones carry no snapshot metadata. The snapshot is taken while the clone runs, as for every worker, and the
    /// clone is powered off again (the original's "power on and off"). Nothing is left behind on failure.
    static func clone(_ source: LibvirtDomain, as name: String, in connection: LibvirtConnection,
                      shutdownWaitWallSeconds: Double) throws -> LibvirtDomain {
        let clone = try source.clone(as: name, in: connection, shutdownWaitSeconds: shutdownWaitWallSeconds)
        do {
            try clone.start()
            try clone.createSnapshot(name: WorkerNaming.cleanSnapshot, description: "clean state of a visag worker clone")
            try clone.destroy()
            return clone
        } catch {
            try? DomainRemoval.remove(clone, in: connection)
            throw error
        }
    }

    /// What the guest went through when `operation` succeeded.
    static func guestReset(after operation: HypervisorOperation) -> GuestReset {
        switch operation {
        case .revert: .reverted
        case .suspend: .suspended
        case .shutdown, .clone: .poweredOff
        case .boot: .booted
        case .resume: .resumed
        }
    }
}
