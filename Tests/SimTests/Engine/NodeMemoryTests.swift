import Foundation
import Model
import XCTest
@testable import Sim

/// Node memory: a power-on that would take a node's running workers past its RAM fails at the
/// hypervisor, Model sees an ordinary failed revert, and a run without limits is unchanged.
final class NodeMemoryTests: XCTestCase {
    func testAPowerOnTakesMemoryWhenAskedForAndAStoppedVMGivesItBack() {
        var memory = NodeMemory(capacityMBOfNode: [2048, 0], vmMemoryMB: 1024)
        XCTAssertTrue(memory.isModelled)
        for node in [0, 0, 0, 1, 1, 1] { memory.vmDefined(node: node) }
        XCTAssertTrue(memory.admitPowerOn(vm: 0))
        XCTAssertTrue(memory.admitPowerOn(vm: 1), "still starting, but the second power-on already counts")
        XCTAssertEqual(memory.usedMB, [2048, 0])
        XCTAssertFalse(memory.admitPowerOn(vm: 2), "a third worker does not fit")
        XCTAssertEqual(memory.usedMB, [2048, 0], "a refusal takes nothing")
        memory.poweredOn(vm: 0)
        memory.poweredOn(vm: 1)
        XCTAssertTrue(memory.admitPowerOn(vm: 0), "reverting a running VM keeps its memory")
        memory.poweredOn(vm: 0)
        XCTAssertEqual(memory.usedMB, [2048, 0])
        memory.stoppedRunning(vm: 1)
        XCTAssertEqual(memory.usedMB, [1024, 0])
        memory.stoppedRunning(vm: 1)
        XCTAssertEqual(memory.usedMB, [1024, 0], "an off VM stopping again frees nothing")
        XCTAssertTrue(memory.admitPowerOn(vm: 2))
        memory.poweredOn(vm: 2)
        for vm in 3...5 { XCTAssertTrue(memory.admitPowerOn(vm: vm), "node 1 has no limit") }
        XCTAssertEqual(memory.usedMB, [2048, 3072])
        XCTAssertEqual(memory.peakMB, [2048, 3072])
    }

    func testAVMWithAPowerOnUnderWayKeepsItsMemoryWhenItStops() {
        var memory = NodeMemory(capacityMBOfNode: [1024], vmMemoryMB: 1024)
        memory.vmDefined(node: 0)
        memory.vmDefined(node: 0)
        XCTAssertTrue(memory.admitPowerOn(vm: 0))
        memory.poweredOn(vm: 0)
        // An admin restart orphans a suspend in flight and reverts the VM again.
        XCTAssertTrue(memory.admitPowerOn(vm: 0))
        memory.stoppedRunning(vm: 0)
        XCTAssertEqual(memory.usedMB, [1024], "the revert under way still needs it")
        XCTAssertFalse(memory.admitPowerOn(vm: 1))
        memory.poweredOn(vm: 0)
        memory.stoppedRunning(vm: 0)
        XCTAssertEqual(memory.usedMB, [0])
        XCTAssertEqual(memory.peakMB, [1024])
    }

    func testNoLimitIsNotModelled() {
        XCTAssertFalse(NodeMemory(capacityMBOfNode: [0, 0], vmMemoryMB: 0).isModelled)
        XCTAssertFalse(NodeMemory(capacityMBOfNode: [0, 0], vmMemoryMB: 512).isModelled)
    }

    /// One node whose RAM fits two running workers of three; three long applications arrive together.
    static let scenario = """
        name: memory
        seed: 2
        mode: virtual-secure
        fidelity: fixed
        platform: {nodes: 1, maxVMs: 3, initialWorkers: 3, memoryMB: 2048, vmMemoryMB: 1024, topology: none}
        dhcp: {poolSize: 8, lease: never}
        policies: {placement: central, cloneAheadThreshold: 0, revertAtStartup: false, recycle: shutdown}
        jobMgr: {creationRounds: 1}
        workload: {applications: 3, arrivalRate: 100, objects: 1, objectDuration: 1h}
        """

    func run(_ overrides: [String], text: String = scenario) throws -> Simulation {
        var simulation = Simulation(scenario: try ScenarioLoader.parse(text: text, file: "m.yaml", overrides: overrides))
        _ = simulation.run()
        return simulation
    }

    func testAThirdPreparationIsRefusedAndFailsThroughModel() throws {
        let simulation = try run([])
        let m = simulation.metrics
        XCTAssertEqual(m.memoryRefusals, 1)
        XCTAssertEqual(m.applicationsCompleted, 2)
        XCTAssertEqual(m.applicationsFailed, 1)
        XCTAssertEqual(m.failureReasons, ["prepareFailed": 1], "a refused revert fails like any failed revert")
        XCTAssertEqual(m.violations.count, 0, m.violations.map(\.detail).joined(separator: "\n"))
        XCTAssertEqual(simulation.memory.peakMB, [2048])
        XCTAssertEqual(simulation.memory.usedMB, [0], "every worker is shut down at the end")
        let roomForThree = try run(["platform.memoryMB=3072"]).metrics
        XCTAssertEqual(roomForThree.memoryRefusals, 0)
        XCTAssertEqual(roomForThree.applicationsCompleted, 3)
    }

    func testOutputsCountRefusalsAndEachNodesPeak() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("visag-memory-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        for (name, overrides) in [("limited", [String]()), ("unlimited", ["platform.memoryMB=null"])] {
            let simulation = try run(overrides)
            let summary = RunSummary(scenario: simulation.scenario, metrics: simulation.metrics)
            let out = directory.appendingPathComponent(name).path
            try RunOutputs.write(simulation, summary: summary, to: out)
            let nodes = try String(contentsOfFile: out + "/nodes.csv", encoding: .utf8)
            if name == "limited" {
                XCTAssertEqual(nodes, "node,jobs,searchnode_jobs,workers,neighbours,memory_mb,peak_memory_mb\n"
                               + "0,0,0,3,0,2048,2048\n")
                XCTAssertTrue(summary.json().contains("\"memoryRefusals\":1"))
                XCTAssertTrue(summary.table().contains("memory refusals"))
            } else {
                XCTAssertEqual(nodes, "node,jobs,searchnode_jobs,workers,neighbours\n0,0,0,3,0\n",
                               "no memory columns when memory is not modelled")
                XCTAssertTrue(summary.json().contains("\"memoryRefusals\":0"))
            }
        }
    }

    func testRetriedApplicationsGetTheMemoryOnceAWorkerStops() throws {
        let m = try run(["jobMgr.creationRounds=3", "jobMgr.errorPause=30s", "workload.objectDuration=20s"]).metrics
        XCTAssertGreaterThan(m.memoryRefusals, 0)
        XCTAssertEqual(m.applicationsCompleted, 3, "the refused application retries after a worker shut down")
        XCTAssertEqual(m.violations.count, 0)
    }

    func testRecycleByRevertKeepsFreeWorkersRunningAndHoldingMemory() throws {
        // Startup reverts: the third worker is refused; recycle by revert keeps two running for good.
        let m = try run(["policies.revertAtStartup=true", "policies.recycle=revert"]).metrics
        XCTAssertGreaterThanOrEqual(m.memoryRefusals, 2, "the start-up revert and the third preparation")
        XCTAssertEqual(m.applicationsCompleted, 2)
        XCTAssertEqual(m.violations.count, 0)
    }

    func testEnoughMemoryChangesNoDigest() throws {
        let text = Self.scenario.replacingOccurrences(of: "memoryMB: 2048, vmMemoryMB: 1024, ", with: "")
        for overrides in [[], ["policies.recycle=revert", "policies.revertAtStartup=true"],
                          ["faults.revertFailure=0.3", "faults.vmCrashesPerHour=2", "jobMgr.creationRounds=3"]] {
            let unlimited = try run(overrides, text: text).metrics
            let huge = try run(overrides + ["platform.memoryMB=100000000", "platform.vmMemoryMB=1"], text: text).metrics
            let justEnough = try run(overrides + ["platform.memoryMB=3072"]).metrics
            XCTAssertEqual(unlimited.digest, huge.digest, "\(overrides)")
            XCTAssertEqual(unlimited.digest, justEnough.digest, "room for every worker: \(overrides)")
            XCTAssertEqual(huge.memoryRefusals + justEnough.memoryRefusals, 0)
        }
        // A bundled scenario with many workers and clones, with and without a limit nobody reaches.
        let path = ScenarioLoaderTests.scenariosDirectory.appendingPathComponent("policies/clone-ahead.yaml").path
        var plain = Simulation(scenario: try ScenarioLoader.load(path: path))
        var roomy = Simulation(scenario: try ScenarioLoader.load(path: path, overrides: ["platform.memoryMB=65536",
                                                                                          "platform.vmMemoryMB=2048"]))
        XCTAssertEqual(plain.run().digest, roomy.run().digest)
        XCTAssertEqual(roomy.metrics.memoryRefusals, 0)
        XCTAssertGreaterThan(roomy.memory.peakMB.max() ?? 0, 2048)
    }

    /// Waking a sleeping worker (resume, boot) powers it on: it is admitted like a revert, and a
    /// refused wake fails through Model's failure path with every invariant held.
    func testResumeAndBootAreAdmittedLikeReverts() throws {
        let path = ScenarioLoaderTests.scenariosDirectory.appendingPathComponent("policies/wake.yaml").path
        for action in ["suspend", "shutdown"] {
            var refusals = 0
            for seed in 1...10 {
                let tight = ["policies.wake=reuseClean", "policies.idleAction=\(action)", "seed=\(seed)",
                             "platform.memoryMB=2048", "platform.vmMemoryMB=1024"]
                var simulation = Simulation(scenario: try ScenarioLoader.load(path: path, overrides: tight))
                let metrics = simulation.run()
                XCTAssertEqual(metrics.violations.count, 0, "\(action) seed \(seed): \(metrics.violations.first.map { "\($0)" } ?? "")")
                XCTAssertLessThanOrEqual(simulation.memory.peakMB.max() ?? 0, 2048)
                refusals += metrics.memoryRefusals
            }
            XCTAssertGreaterThan(refusals, 0, "\(action): two of four workers fit, some wake must be refused")
        }
        let roomy = ["policies.wake=reuseClean", "platform.memoryMB=4096", "platform.vmMemoryMB=1024"]
        var plain = Simulation(scenario: try ScenarioLoader.load(path: path, overrides: ["policies.wake=reuseClean"]))
        var fits = Simulation(scenario: try ScenarioLoader.load(path: path, overrides: roomy))
        XCTAssertEqual(plain.run().digest, fits.run().digest, "room for every worker changes nothing")
    }

    // MARK: Validation

    func error(_ text: String, overrides: [String] = [], line: UInt = #line) -> ScenarioError? {
        expectScenarioError(text, file: "m.yaml", overrides: overrides, line: line)
    }

    func testMemoryKeysAreValidated() throws {
        XCTAssertEqual(error("platform: {memoryMB: -1, vmMemoryMB: 512}\n")?.description,
                       "m.yaml:1:22: error: platform.memoryMB: expected an integer between 1 and 100000000, found \"-1\"")
        XCTAssertEqual(error("platform:\n  vmMemoryMB: 0\n")?.description,
                       "m.yaml:2:15: error: platform.vmMemoryMB: expected an integer between 1 and 10000000, found \"0\"")
        XCTAssertEqual(error("platform: {memoryMB: 0, vmMemoryMB: 512}\n")?.path, "platform.memoryMB")
        XCTAssertEqual(error("platform: {nodes: 2, memoryMB: 4096}\n")?.description,
                       "m.yaml:1:32: error: platform.memoryMB: a memory limit needs platform.vmMemoryMB, "
                       + "the RAM (MB) one running worker VM takes")
        XCTAssertEqual(error("platform:\n  nodes: 2\n  nodeOverrides: [{node: 1, memoryMB: 4096}]\n")?.description,
                       "m.yaml:3:39: error: platform.nodeOverrides[0].memoryMB: a memory limit needs "
                       + "platform.vmMemoryMB, the RAM (MB) one running worker VM takes")
        XCTAssertEqual(error("platform: {memoryMB: 1024, vmMemoryMB: 2048}\n")?.description,
                       "m.yaml:1:22: error: platform.memoryMB: 1024 MB cannot run one worker VM of vmMemoryMB 2048 MB")
        let unknown = error("platform:\n  vmMemoryMB: 512\n  nodeOverrides:\n    - {node: 0, memoryGB: 4}\n")
        XCTAssertEqual(unknown?.description,
                       "m.yaml:4:17: error: platform.nodeOverrides[0].memoryGB: unknown key \"memoryGB\"; did you mean \"memoryMB\"? "
                       + "(all keys: visag scenario keys platform.nodeOverrides)")
        let set = error("platform: {vmMemoryMB: 512}\n", overrides: ["platform.memoryMB=0"])
        XCTAssertEqual(set?.file, "--set")
        XCTAssertEqual(set?.path, "platform.memoryMB")
        XCTAssertEqual(error("platform: {nodes: 1}\n", overrides: ["platform.memoryMB=2048"])?.path, "platform.memoryMB")

        let s = try ScenarioLoader.parse(text: "platform: {nodes: 3, memoryMB: 8192, vmMemoryMB: 2048, "
                                         + "nodeOverrides: [{node: 2, memoryMB: 4096}]}\n", file: "m.yaml")
        XCTAssertEqual(s.memoryMBOfNode, [8192, 8192, 4096])
        XCTAssertEqual(s.vmMemoryMB, 2048)
        let overridden = try ScenarioLoader.parse(text: "platform: {nodes: 2, vmMemoryMB: 1024}\n", file: "m.yaml",
                                                  overrides: ["platform.memoryMB=3072"])
        XCTAssertEqual(overridden.memoryMBOfNode, [3072, 3072])
        let plain = try ScenarioLoader.parse(text: "platform: {nodes: 2}\n", file: "m.yaml")
        XCTAssertEqual(plain.memoryMBOfNode, [0, 0])
        XCTAssertEqual(plain.vmMemoryMB, 0)
    }
}
