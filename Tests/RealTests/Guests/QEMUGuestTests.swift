import Foundation
import Model
import Sim
import XCTest
@testable import Real

/// A real guest VM under QEMU with TCG, driven through qemu:///system by `RealDriver`: Model prepares the worker
/// (revert, address, VM key, key writes), the object runs in the guest over SSH with the application's key and
/// the forced command, and the application's end recycles the worker by revert. Prints the measured wall time
/// of every phase, then of `VISAG_TCG_REVERTS` (default 3) further revert → ready-for-objects cycles.
final class QEMUGuestTests: XCTestCase {
    /// 0.01 wall seconds per model second: the 60 s objects run 0.6 s; Model's timers are an hour (36 s of wall
    /// time), far past any guest call, so a slow machine cannot turn the run into a different one.
    static let timeScale = 0.01
    static let bootTimeoutSeconds = 120.0
    static let memoryMiB = 128
    static let revertsVariable = "VISAG_TCG_REVERTS"

    /// One node with one worker; two applications of one 60 s object, arriving after the start-up revert and far
    /// enough apart that the second finds the worker recycled.
    static func scenario(trace: String) throws -> Scenario {
        try ScenarioLoader.parse(text: """
            name: qemu-tcg
            seed: 1
            mode: virtual-secure
            fidelity: fixed
            platform: {nodes: 1, maxVMs: 1, initialWorkers: 1, topology: none}
            policies: {placement: discovery, recycle: revert, cloneAheadThreshold: 0}
            jobMgr: {execTimeout: 1h, reservationTimeout: 1h, addressWaitCap: 1h, errorPause: 60s}
            workload: {kind: trace, file: \(trace), mainNode: 0}
            """, file: "qemu-tcg.yaml")
    }

    func testAWorkerIsPreparedRunsAnObjectAndIsRecycledUnderTCG() throws {
        let host = try QEMUTestHost.make()
        defer { host.tearDown() }
        let guest = GuestTarget(vm: VMID(0), node: NodeID(0), ordinal: 1, domainName: "node0_worker1")
        let port = try LoopbackPort.free(on: [try XCTUnwrap(QEMUGuestChannel.forwardAddress(of: guest))])
        let channel = try QEMUGuestChannel(image: host.image, hostPort: port)
        let clock = ContinuousClock()

        let bootStarted = clock.now
        let domain = try host.makeWorker(guest, channel: channel, memoryMiB: Self.memoryMiB,
                                         bootTimeoutSeconds: Self.bootTimeoutSeconds)
        let bootSeconds = WallTime.seconds(bootStarted.duration(to: clock.now))
        let adminKey = try String(contentsOfFile: host.image.adminKeyPath + ".pub", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertEqual(try channel.authorizedKeys(on: guest), [adminKey], "the clean snapshot holds the admin key only")

        let trace = host.stateDirectory.appendingPathComponent("jobs.csv")
        try "id,arrival_s,compute_s\n0,200,60\n1,700,60\n".write(to: trace, atomically: true, encoding: .utf8)
        let logs = LogLines()
        let runner = SSHObjectRunner(channel: channel)
        let options = RealRunOptions(uri: TCGGuestHost.uri, timeScale: Self.timeScale, shutdownWaitWallSeconds: 5,
                                     log: logs.log)
        let driver = try RealDriver(scenario: Self.scenario(trace: trace.path), options: options,
                                    connection: host.connection, guestChannel: channel, runner: runner)
        let result = try driver.run()
        let context = "log: \(logs.all.joined(separator: "\n"))\nconsole: \(host.consoleLog(of: guest).suffix(2000))"

        XCTAssertEqual(result.outcome, .completed, context)
        XCTAssertEqual(result.metrics.applicationsCompleted, 2, "\(result.metrics.failureReasons)\n\(context)")
        XCTAssertTrue(logs.all.isEmpty, context)
        // The simulator's checker, on what the guest showed: every invariant held.
        XCTAssertEqual(result.metrics.violationCounts, [:], result.metrics.violations.map(\.description).joined())
        XCTAssertEqual(result.metrics.digest.count, 64)

        // Model's preparation reached the guest: address, VM key, keys written behind the restrictions.
        let operations = channel.timings.map(\.operation)
        XCTAssertTrue(operations.contains("read the address"), "\(operations)")
        XCTAssertEqual(operations.filter { $0 == "fetch the VM key" }.count, 1, "the VM key is fetched once per VM")
        // The start-up and recycle reverts leave the worker running, so no preparation reverts it: the admin key
        // is the clean snapshot's, and each application gets only its requester's key.
        XCTAssertEqual(operations.filter { $0 == "write a key" }.count, 2, "\(operations)")
        XCTAssertEqual(Set(result.keyWrites.compactMap(\.key.write.app)), [AppID(0), AppID(1)])

        // Each object ran in the guest through the forced command, logged in with its application's key.
        let objects = runner.records
        XCTAssertEqual(objects.map(\.app), [AppID(0), AppID(1)])
        XCTAssertTrue(objects.allSatisfy { $0.finished && !$0.killed && $0.launchWallSeconds != nil }, "\(objects)")
        XCTAssertTrue(objects.allSatisfy { $0.domain == guest.domainName })

        // Recycled: a revert at start-up and one per application end, every one succeeded.
        let reverts = result.hypervisorCalls.filter { $0.operation == "revert" }
        XCTAssertEqual(reverts.count, 3, "\(result.hypervisorCalls)")
        XCTAssertTrue(reverts.allSatisfy(\.succeeded), "\(reverts)")
        XCTAssertEqual(try domain.state(), .running, "a revert to popc_clean leaves the worker running")

        // Clean again: the application keys are gone, and the first application's key is refused.
        XCTAssertEqual(try channel.authorizedKeys(on: guest), [adminKey], "recycling removed every written key")
        let firstKey = try XCTUnwrap(channel.writtenKeys.first { $0.key.write.app == AppID(0) }?.key)
        let refused = try channel.run("object 99 0.1", on: guest, identity: firstKey.privateKeyPath)
        XCTAssertEqual(refused.status, GuestSSH.connectionFailureStatus, "a recycled worker refuses the old key")

        let cycles = try revertToReady(domain, guest: guest, channel: channel,
                                       count: Int(ProcessInfo.processInfo.environment[Self.revertsVariable] ?? "") ?? 3)
        PhaseReport(bootSeconds: bootSeconds, result: result, channel: channel, objects: objects,
                    timeScale: Self.timeScale, cycles: cycles).print()

        // A key write answers with what the guest's authorized_keys holds, read back from the guest: a line removed
        // behind the channel's back is not reported, the new one is.
        func key(_ write: KeyWrite) -> GuestKeyWrite {
            GuestKeyWrite(write: write, publicKey: KeyIdentity.publicKey(for: write, mainNode: NodeID(0)))
        }
        let first = KeyWrite(kind: .mainNode(AppID(7)), app: AppID(7))
        let second = KeyWrite(kind: .mainNode(AppID(8)), app: AppID(8))
        XCTAssertEqual(try channel.writeKey(key(first), to: guest), [first])
        let truncated = try channel.run("head -n 1 \(QEMUGuestChannel.authorizedKeysPath) > /tmp/k && "
                                        + "cat /tmp/k > \(QEMUGuestChannel.authorizedKeysPath)",
                                        on: guest, identity: host.image.adminKeyPath)
        XCTAssertTrue(truncated.succeeded, truncated.stderrTail)
        XCTAssertEqual(try channel.writeKey(key(second), to: guest), [second], "the guest no longer holds app7's key")
        XCTAssertEqual(try channel.authorizedKeys(on: guest).count, 2)
    }

    /// Reverts to `popc_clean` and waits for the guest's SSH, `count` times: (revert, revert to ready) seconds.
    func revertToReady(_ domain: LibvirtDomain, guest: GuestTarget, channel: QEMUGuestChannel,
                       count: Int) throws -> [(revert: Double, ready: Double)] {
        let clock = ContinuousClock()
        var cycles: [(revert: Double, ready: Double)] = []
        for _ in 0..<max(0, count) {
            let started = clock.now
            try domain.revert(toSnapshot: WorkerNaming.cleanSnapshot)
            let reverted = clock.now
            channel.hypervisorDidReset(guest, .reverted)
            try channel.waitUntilReady(guest, timeoutSeconds: channel.readyTimeoutSeconds)
            cycles.append((WallTime.seconds(started.duration(to: reverted)),
                           WallTime.seconds(started.duration(to: clock.now))))
        }
        return cycles
    }
}
