import Foundation
import Model
import Sim
import XCTest
@testable import Real

/// Report §2.12 and §5.10 end to end: the control plane decides which keys go to which worker, Real's key
/// source makes them real Ed25519 keys, each worker's `authorized_keys` holds exactly the lines written to it
/// (behind the SSH restrictions), and a real sshd per worker decides. A key routed for application A runs the
/// forced object command on A's worker and is refused by B's.
final class KeyRoutingSSHTests: LibvirtTestCase {
    /// One node, two workers, two applications whose objects overlap in time, so each application holds its own
    /// worker while the other runs.
    static let twoApplications = """
        name: key-routing-ssh
        seed: 3
        mode: virtual-secure
        fidelity: fixed
        platform: {nodes: 1, maxVMs: 2, initialWorkers: 2, topology: none}
        policies: {placement: discovery, recycle: revert, cloneAheadThreshold: 0}
        jobMgr: {execTimeout: 1h, reservationTimeout: 1h}
        workload: {kind: poisson, applications: 2, arrivalRate: 1, objects: 1, objectDuration: 10m, mainNode: 0}
        """

    /// The lines one worker held while serving one application, in the order they were written.
    struct WorkerKeys {
        let guest: GuestTarget
        let app: AppID
        let entries: [SimulatedGuestChannel.KeyWriteEntry]

        var lines: [String] { entries.map(\.line) }

        /// Keys that belong to the application itself (its object's requester, its main process); the node's admin
        /// key is trusted by every worker of the node by design.
        var applicationEntries: [SimulatedGuestChannel.KeyWriteEntry] {
            entries.filter { entry in
                switch entry.key.write.kind {
                case .requester, .mainNode, .worker, .node: true
                case .admin: false
                }
            }
        }
    }

    func testAKeyRoutedForOneApplicationIsRefusedByTheOtherApplicationsWorker() throws {
        try LoopbackSSHServer.requireOpenSSH()
        let scenario = try ScenarioLoader.parse(text: Self.twoApplications, file: "key-routing-ssh.yaml")
        for ordinal: Int32 in 1...2 {
            let name = WorkerNaming.domainName(node: NodeID(0), ordinal: ordinal)
            cleanup.domain(name)
            cleanup.volume(TestDriverWorkers.volumeName(forDomain: name))
        }
        let logs = LogLines()
        let guests = SimulatedGuestChannel()
        let keys = Ed25519KeySource()
        let options = RealRunOptions(timeScale: 0.002, shutdownWaitWallSeconds: 0.2, log: logs.log)
        let driver = try RealDriver(scenario: scenario, options: options, connection: connection, guestChannel: guests,
                                    keySource: keys)
        let result = try driver.run()
        XCTAssertEqual(result.outcome, .completed, logs.all.joined(separator: "\n"))
        XCTAssertEqual(result.metrics.applicationsCompleted, 2, "\(result.metrics.failureReasons)")

        // Which worker held which keys for which application: from the writes the control plane asked for.
        let a = try XCTUnwrap(workerKeys(of: AppID(0), in: guests.keyWrites))
        let b = try XCTUnwrap(workerKeys(of: AppID(1), in: guests.keyWrites))
        XCTAssertNotEqual(a.guest, b.guest, "the two applications overlap, so they hold different workers")
        XCTAssertFalse(a.applicationEntries.isEmpty)
        XCTAssertFalse(b.applicationEntries.isEmpty)
        for entry in a.entries + b.entries {
            XCTAssertTrue(entry.line.hasPrefix(SSHRestrictions.popcObjectRun.optionString + " ssh-ed25519 AAAA"), entry.line)
            XCTAssertNotNil(keys.keyPair(forPublicKeyLine: entry.key.publicKey), "every key is a real key of the source")
        }
        let aKeys = Set(a.applicationEntries.map(\.key.publicKey))
        let bKeys = Set(b.applicationEntries.map(\.key.publicKey))
        XCTAssertTrue(aKeys.isDisjoint(with: b.entries.map(\.key.publicKey)), "no key of A was routed to B's worker")
        XCTAssertTrue(bKeys.isDisjoint(with: a.entries.map(\.key.publicKey)), "no key of B was routed to A's worker")

        let serverA = try LoopbackSSHServer(name: a.guest.domainName, authorizedKeys: a.lines)
        defer { serverA.stop() }
        let serverB = try LoopbackSSHServer(name: b.guest.domainName, authorizedKeys: b.lines)
        defer { serverB.stop() }

        for (own, ownServer, otherServer) in [(a, serverA, serverB), (b, serverB, serverA)] {
            for (index, entry) in own.applicationEntries.enumerated() {
                let pair = try XCTUnwrap(keys.keyPair(forPublicKeyLine: entry.key.publicKey))
                let keyName = "app\(own.app.index)-\(index)"
                let accepted = try ownServer.ssh(with: pair, keyName: keyName, command: "id")
                XCTAssertEqual(accepted.status, 0, "\(entry.key.write) on its own worker: \(accepted.stderr)")
                XCTAssertEqual(accepted.stdout, "popcobjrun on \(own.guest.domainName); asked for: id\n",
                               "the forced command ran instead of the client's")
                let refused = try otherServer.ssh(with: pair, keyName: keyName, command: "id")
                XCTAssertEqual(refused.status, 255, "\(entry.key.write) on \(otherServer.name): \(refused.stdout)")
                XCTAssertTrue(refused.stderr.contains("Permission denied"), refused.stderr)
                XCTAssertEqual(refused.stdout, "")
            }
        }
    }

    /// The single worker that received keys written for `app`, with those writes; nil if none or several.
    private func workerKeys(of app: AppID, in writes: [SimulatedGuestChannel.KeyWriteEntry]) -> WorkerKeys? {
        let entries = writes.filter { $0.key.write.app == app }
        guard let guest = entries.first?.guest, entries.allSatisfy({ $0.guest == guest }) else { return nil }
        return WorkerKeys(guest: guest, app: app, entries: entries)
    }
}
