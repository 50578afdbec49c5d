import Foundation
import Model
import Sim
import XCTest
@testable import Real

/// The real backend on ESX: libvirt's esx:// driver, with the credentials the CLI takes from `--hypervisor-config`,
/// against a standalone ESX host served by govmomi's vSphere API simulator (`ESXSimulatorHost`) with the worker VM
/// made beforehand, as on the original's ESXi. The simulator has no guests, so the guest side is the in-process
/// `SimulatedGuestChannel`. Each test runs one application whose worker goes idle between the start-up revert and
/// the application (`wake: reuseClean`), and checks on the ESX side, through the host's own log of SOAP calls and
/// by reading the VM back through libvirt, that Model's revert and power operations were carried out. Skips
/// without the packages, unless `VISAG_REQUIRE_ESX=1` (CI). About 10 s each; the last test runs the CLI as a user
/// does, with an encrypted hypervisor configuration.
final class ESXSimulatorTests: XCTestCase {
    static let worker = "node0_worker1"
    static let timeScale = 0.01
    /// What changes a VM's power or contents, as the host names it.
    static let powerMethods: Set<String> = [
        "RevertToSnapshot_Task", "SuspendVM_Task", "PowerOnVM_Task", "PowerOffVM_Task", "ShutdownGuest",
    ]

    var host: ESXSimulatorHost?

    override func setUpWithError() throws {
        try ESXSimulatorHost.checkPrerequisites()
        host = try ESXSimulatorHost(workers: [Self.worker])
    }

    override func tearDown() {
        host?.stop()
        host = nil
    }

    /// One node, one worker idle 60 s after its start-up revert; one application of one 30 s object at 600 s.
    func scenario(idleAction: RecycleAction) throws -> Scenario {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(uniqueName("visag-esx-trace"))
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let trace = directory.appendingPathComponent("jobs.csv").path
        try "id,arrival_s,compute_s\n0,600,30\n".write(toFile: trace, atomically: true, encoding: .utf8)
        return try ScenarioLoader.parse(text: """
            name: esx-wake
            seed: 1
            mode: virtual-secure
            fidelity: fixed
            platform: {nodes: 1, maxVMs: 1, initialWorkers: 1, topology: none}
            policies: {placement: discovery, recycle: revert, cloneAheadThreshold: 0, idleTimeout: 60s,
                       idleAction: \(idleAction.rawValue), wake: reuseClean}
            jobMgr: {execTimeout: 1h, reservationTimeout: 1h}
            workload: {kind: trace, file: \(trace), mainNode: 0}
            """, file: "esx-wake.yaml")
    }

    func run(idleAction: RecycleAction) throws -> (RealRunResult, SimulatedGuestChannel, ESXSimulatorHost, String) {
        let host = try XCTUnwrap(host)
        let logs = LogLines()
        let guest = SimulatedGuestChannel()
        let options = RealRunOptions(
            uri: host.uri, timeScale: Self.timeScale, shutdownWaitWallSeconds: 5, log: logs.log,
            credentials: HypervisorCredentials(username: ESXSimulatorHost.username, password: host.password))
        let result = try RealDriver(scenario: try scenario(idleAction: idleAction), options: options,
                                    guestChannel: guest).run()
        let calls = result.hypervisorCalls.map { "\($0.operation) \($0.origin) \($0.error ?? "")" }
        let context = "log: \(logs.all)\ncalls: \(calls)"
            + "\nhost: \(host.calls().filter { Self.powerMethods.contains($0.method) })"
        return (result, guest, host, context)
    }

    /// What libvirt reads back from the host after the run.
    func readBack(_ host: ESXSimulatorHost) throws -> (DomainState, [String]) {
        let connection = try LibvirtConnection(uri: host.uri, username: ESXSimulatorHost.username,
                                               password: host.password)
        defer { connection.close() }
        let domain = try connection.lookupDomain(name: Self.worker)
        return (try domain.state(), try domain.snapshotNames())
    }

    func checkCommon(_ result: RealRunResult, _ guest: SimulatedGuestChannel, context: String) throws {
        XCTAssertEqual(result.outcome, .completed, context)
        XCTAssertEqual(result.metrics.applicationsCompleted, 1, context)
        XCTAssertEqual(result.metrics.prepareRevert.count, 0, "the clean idle worker was woken, not reverted")
        XCTAssertEqual(guest.addressReads, 1, "Model read the worker's address once, for the application")
        XCTAssertEqual(result.metrics.prepareAddress.count, 1, context)
        XCTAssertTrue(result.hypervisorCalls.allSatisfy { $0.succeeded && $0.domain == Self.worker }, context)
        let worker = try XCTUnwrap(result.workers.first)
        XCTAssertEqual(worker.modelRevertCalls, 2, context)
        XCTAssertTrue(worker.clean && worker.free, context)
        XCTAssertEqual(worker.finalState, .running, context)
        XCTAssertEqual(worker.snapshots, [WorkerNaming.cleanSnapshot])
    }

    /// Start-up revert, idle suspend, the application's resume, the recycle's revert: on the host, the snapshot's
    /// revert, SuspendVM and PowerOnVM, in Model's order.
    func testSuspendAndResumeReachTheESXHost() throws {
        try checkIdleCycle(.suspend, operations: ["revert", "suspend", "resume", "revert"],
                           hostMethods: ["RevertToSnapshot_Task", "SuspendVM_Task", "PowerOnVM_Task", "RevertToSnapshot_Task"],
                           wakeCount: { $0.prepareResume.count })
    }

    /// Start-up revert, idle shutdown, the application's boot, the recycle's revert: on the host, the snapshot's
    /// revert, the guest's shutdown and PowerOnVM.
    func testShutdownAndBootReachTheESXHost() throws {
        try checkIdleCycle(.shutdown, operations: ["revert", "shutdown", "boot", "revert"],
                           hostMethods: ["RevertToSnapshot_Task", "ShutdownGuest", "PowerOnVM_Task", "RevertToSnapshot_Task"],
                           wakeCount: { $0.prepareBoot.count })
    }

    /// One idle cycle: Model's calls in order, the one wake they imply, the same power methods on the host, and the
    /// worker running its clean snapshot at the end.
    private func checkIdleCycle(_ idleAction: RecycleAction, operations: [String], hostMethods: [String],
                                wakeCount: (Metrics) -> Int) throws {
        let (result, guest, host, context) = try run(idleAction: idleAction)
        try checkCommon(result, guest, context: context)
        XCTAssertEqual(result.hypervisorCalls.filter { $0.origin == .model }.map(\.operation), operations, context)
        XCTAssertEqual(wakeCount(result.metrics), 1, context)
        XCTAssertEqual(host.methods(on: Self.worker).filter(Self.powerMethods.contains), hostMethods, context)
        let (state, snapshots) = try readBack(host)
        XCTAssertEqual(state, .running)
        XCTAssertEqual(snapshots, [WorkerNaming.cleanSnapshot])
    }

    /// `visag run --backend real --hypervisor-config` on the host: `esx-small.yaml` cut to one node and one
    /// application; the reverts the run counts are the ones the host was asked for.
    func testTheCLIRunsAScenarioOnTheESXHost() throws {
        let host = try XCTUnwrap(host)
        let root = ESXSimulatorHost.repository
        let binary = Bundle.main.bundleURL.appendingPathComponent("visag").path
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(uniqueName("visag-esx-cli"))
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let key = folder.appendingPathComponent("esx.key").path
        let plain = folder.appendingPathComponent("esx.conf").path
        let encrypted = folder.appendingPathComponent("esx.conf.enc").path
        try "uri: \(host.uri)\nusername: \(ESXSimulatorHost.username)\npassword: \(host.password)\n"
            .write(toFile: plain, atomically: true, encoding: .utf8)
        for arguments in [["config", "keygen", "--output", key],
                          ["config", "encrypt", plain, "--key-file", key, "--output", encrypted]] {
            let made = try HostCommand.run(binary, arguments, timeoutSeconds: 30)
            XCTAssertTrue(made.succeeded, made.stderr)
        }
        let run = try HostCommand.run(binary, [
            "run", root.appendingPathComponent("Scenarios/guests/esx-small.yaml").path, "--backend", "real",
            "--hypervisor-config", encrypted, "--key-file", key, "--time-scale", "0.005",
            "--set", "platform.nodes=1", "--set", "workload.applications=1",
        ], timeoutSeconds: 60)
        let context = "stdout:\n\(run.stdout)\nstderr:\n\(run.stderr)\nhost: \(host.methods(on: Self.worker))"
        XCTAssertTrue(run.succeeded, context)
        XCTAssertTrue(run.stdout.contains("applications               1 submitted, 1 completed, 0 failed"), context)
        XCTAssertTrue(run.stdout.contains("invariants                 all held"), context)
        let uriShown = host.uri.replacingOccurrences(of: "\(ESXSimulatorHost.username)@", with: "")
        XCTAssertTrue(run.stdout.contains("backend      real, \(uriShown), time scale 0.005"), context)
        XCTAssertTrue(run.stderr.contains("no lifecycle events from"), context)
        let reverts = host.methods(on: Self.worker).filter { $0 == "RevertToSnapshot_Task" }.count
        XCTAssertGreaterThanOrEqual(reverts, 2, "the start-up revert and the recycle's: \(context)")
        XCTAssertTrue(run.stdout.contains("reverts      node0_worker1 \(reverts)\n"), context)
    }
}
