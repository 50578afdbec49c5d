import Model
import XCTest
@testable import Sim

/// `policies.wake`: workers put to sleep by the idle timeout are resumed or booted under `reuseClean` when they
/// stayed clean, reverted otherwise. The invariant checker counts only a revert as cleaning a VM, so a dirty worker
/// woken by mistake would break `cleanState` (and `keyRouting`).
final class WakeScenarioTests: XCTestCase {
    static let file = InvariantTests.scenarios.appendingPathComponent("policies/wake.yaml").path

    func scenario(_ overrides: [String]) throws -> Scenario {
        try ScenarioLoader.load(path: Self.file, overrides: overrides)
    }

    func run(_ overrides: [String], seed: UInt64) throws -> Metrics {
        var scenario = try scenario(overrides)
        scenario.seed = seed
        var simulation = Simulation(scenario: scenario)
        return simulation.run()
    }

    func mean(_ values: [Double]) -> Double { values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count) }

    func testReuseCleanKeepsEveryInvariantAndCreatesObjectsSooner() throws {
        var latency: [WakePolicy: [Double]] = [:]
        for seed: UInt64 in 1...30 {
            for wake in WakePolicy.allCases {
                let m = try run(["policies.wake=\(wake.rawValue)"], seed: seed)
                let context = "\(wake) seed \(seed): \(m.violations.first?.description ?? "")"
                XCTAssertTrue(m.violationCounts.isEmpty, context)
                XCTAssertEqual(m.applicationsCompleted + m.applicationsFailed, m.applicationsSubmitted, context)
                switch wake {
                case .revert:
                    XCTAssertTrue(m.prepareResume.isEmpty && m.prepareBoot.isEmpty, context)
                    XCTAssertFalse(m.prepareRevert.isEmpty, context)
                case .reuseClean:
                    // Recycled by revert, every sleeping worker is clean: none is reverted for an application.
                    XCTAssertFalse(m.prepareResume.isEmpty, context)
                    XCTAssertTrue(m.prepareRevert.isEmpty, context)
                }
                latency[wake, default: []].append(mean(m.creationLatencyPrepared))
            }
        }
        let revert = mean(latency[.revert]!)
        let reuse = mean(latency[.reuseClean]!)
        XCTAssertLessThan(reuse, revert, "mean creation latency: reuseClean \(reuse) s, revert \(revert) s")
        XCTAssertLessThan(reuse, revert - 10, "a resume (5 s) instead of a revert (30 s) in most preparations")
    }

    func testReuseCleanRevertsUsedWorkersAndKeepsEveryInvariantWhateverPutsThemToSleep() throws {
        let cases: [[String]] = [
            // Recycled by suspend: every sleeping worker an application used is dirty and must be reverted.
            ["policies.recycle=suspend"],
            // Shut down when idle: clean ones boot.
            ["policies.idleAction=shutdown"],
            ["policies.recycle=shutdown", "policies.idleAction=suspend"],
            // Workers that crash (off behind Model's back), objects and mains that die.
            ["faults={vmCrashesPerHour: 0.2, objectCrash: 0.05, mainCrash: 0.05}"],
        ]
        for overrides in cases {
            let scenario = try scenario(["policies.wake=reuseClean"] + overrides)
            let report = SeedCheck.run(scenario, seeds: 1...30, jobs: 2)
            XCTAssertEqual(report.failingSeeds, [], "\(overrides): \(report.results.compactMap(\.firstViolation).first?.description ?? "")")
        }
        let used = try run(["policies.wake=reuseClean", "policies.recycle=suspend"], seed: 1)
        XCTAssertGreaterThan(used.prepareRevert.count, 10 * used.prepareResume.count, "used workers are reverted")
        let booted = try run(["policies.wake=reuseClean", "policies.idleAction=shutdown"], seed: 1)
        XCTAssertFalse(booted.prepareBoot.isEmpty)
        XCTAssertTrue(booted.prepareResume.isEmpty)
    }

    /// Only a revert cleans a VM in the checker's eyes: a worker that served one application and is resumed for
    /// another breaks `cleanState`.
    func testTheCheckerCountsOnlyARevertAsCleaning() {
        var checker = InvariantChecker()
        checker.vmDefined()
        let vm = VMID(0)
        checker.objectStarted(ObjectID(0), app: AppID(0), intended: vm, ranIn: 0, holder: .application(AppID(0)), time: 1)
        checker.objectStopped(ranIn: 0)
        // Suspended and resumed: no revert.
        checker.objectStarted(ObjectID(1), app: AppID(1), intended: vm, ranIn: 0, holder: .application(AppID(1)), time: 2)
        XCTAssertEqual(checker.counts[.cleanState], 1)
        checker.objectStopped(ranIn: 0)
        checker.reverted(0)
        checker.objectStarted(ObjectID(2), app: AppID(2), intended: vm, ranIn: 0, holder: .application(AppID(2)), time: 3)
        XCTAssertEqual(checker.counts[.cleanState], 1)
    }

    func testWakeIsAValidatedPolicyAndRevertIsTheDefault() throws {
        let plain = try ScenarioLoader.parse(text: "seed: 1\n", file: "s.yaml")
        XCTAssertEqual(plain.grid.wake, .revert)
        XCTAssertEqual(plain.hypervisor.boot, .fixed(40))
        XCTAssertEqual(plain.hypervisor.resume, .fixed(5))
        let set = try ScenarioLoader.parse(text: "policies: {wake: reuseClean}\nhypervisor: {boot: 1m, resume: {uniform: [2s, 4s]}}\n",
                                           file: "s.yaml")
        XCTAssertEqual(set.grid.wake, .reuseClean)
        XCTAssertEqual(set.hypervisor.boot, .fixed(60))
        XCTAssertEqual(set.hypervisor.resume, .uniform(low: 2, high: 4))
        XCTAssertThrowsError(try ScenarioLoader.parse(text: "seed: 1\npolicies:\n  wake: reuseclean\n", file: "s.yaml")) { error in
            guard let e = error as? ScenarioError else { return XCTFail("\(error)") }
            XCTAssertEqual(e.file, "s.yaml")
            XCTAssertEqual(e.line, 3)
            XCTAssertEqual(e.column, 9)
            XCTAssertEqual(e.path, "policies.wake")
            XCTAssertTrue(e.message.contains("did you mean \"reuseClean\"?"), e.description)
        }
        XCTAssertThrowsError(try ScenarioLoader.parse(text: "seed: 1\n", file: "s.yaml", overrides: ["policies.wake=boot"]))
    }

    func testTheDefaultWakeChangesNoDigest() throws {
        // Naming the default, or timing operations it never asks for, changes nothing in the run.
        let base = try run([], seed: 2)
        let named = try run(["policies.wake=revert", "hypervisor.boot=1s", "hypervisor.resume=1h"], seed: 2)
        XCTAssertEqual(base.digest, named.digest)
        XCTAssertNotEqual(base.digest, try run(["policies.wake=reuseClean"], seed: 2).digest)
    }

    func testBootAndResumeHaveTheirOwnTraceCodes() {
        let operations: [HypervisorOperation] = [.revert, .suspend, .shutdown, .boot, .resume, .clone(target: VMID(0))]
        let codes = operations.map {
            TraceRecorder.fields(of: .hypervisorFinished(VMID(1), $0, ticket: 3, succeeded: true)).b
        }
        XCTAssertEqual(Set(codes).count, operations.count, "\(codes)")
    }
}
