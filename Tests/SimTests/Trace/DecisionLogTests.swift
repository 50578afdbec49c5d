import Foundation
import Model
import XCTest
@testable import Sim

/// The decision log: its line format, and that a simulated run's log, its digest and the file agree.
final class DecisionLogTests: XCTestCase {
    func testEachActionHasOneDeliberateLine() {
        let write = KeyWrite(kind: .requester(ObjectID(4)), app: AppID(2), installs: true)
        let cases: [(Action, String)] = [
            (.send(Message(from: NodeID(0), to: NodeID(1), body: .reserve(AppID(2), ObjectID(4), RequestID(origin: NodeID(0), counter: 7),
                                                                            round: 1, carriesRequesterKey: true))),
             "1.5 send from=0 to=1 reserve app=2 object=4 request=0.7 round=1 requesterKey=true"),
            (.startTimer(.idleTimeout(VMID(3), generation: 2), afterSeconds: 600),
             "1.5 timer after=600.0 idleTimeout vm=3 generation=2"),
            (.hypervisor(VMID(3), .clone(target: VMID(5)), ticket: 9), "1.5 hypervisor vm=3 op=clone:5 ticket=9"),
            (.obtainAddress(VMID(3), .reversePing, ticket: 1), "1.5 address vm=3 renewal=reverse-ping ticket=1"),
            (.fetchVMKey(VMID(3), ticket: 2), "1.5 fetchKey vm=3 ticket=2"),
            (.writeKey(VMID(3), write, ticket: 4), "1.5 writeKey vm=3 key=requester:4 app=2 installs=true ticket=4"),
            (.launchObject(ObjectID(4), AppID(2), on: NodeID(1), vm: VMID(3), address: Address(0x0A01_0002)),
             "1.5 launch object=4 app=2 node=1 vm=3 address=167837698"),
            (.launchObject(ObjectID(4), AppID(2), on: NodeID(1), vm: nil, address: nil),
             "1.5 launch object=4 app=2 node=1 vm=- address=-"),
            (.killObject(ObjectID(4), on: NodeID(1), vm: VMID(3)), "1.5 kill object=4 node=1 vm=3"),
            (.defineVM(VMID(5), on: NodeID(1), ordinal: 3), "1.5 define vm=5 node=1 ordinal=3"),
            (.report(.applicationFinished(AppID(2), succeeded: false, reason: .execTimeout)),
             "1.5 report applicationFinished app=2 succeeded=false reason=execTimeout"),
            (.report(.vmKeyAccepted(VMID(3), AppID(2), at: .adminVM(NodeID(1)))),
             "1.5 report vmKeyAccepted vm=3 app=2 host=adminVM:1"),
        ]
        for (action, line) in cases {
            XCTAssertEqual(DecisionLog.line(action, modelSeconds: 1.5), line)
        }
    }

    func testASimulatedRunWritesItsDecisionsAndTheSummaryCarriesTheirDigest() throws {
        let scenario = try ScenarioLoader.load(path: Self.root + "/Scenarios/policies/recycle.yaml", overrides: [])
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("decisions-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        var digests: [String] = []
        for run in 0..<2 {
            let path = folder.appendingPathComponent("run\(run).log").path
            let log = try DecisionLog(path: path)
            var simulation = Simulation(scenario: scenario)
            simulation.decisions = log
            let metrics = simulation.run()
            try log.commit()
            let text = try String(contentsOfFile: path, encoding: .utf8)
            let lines = text.split(separator: "\n")
            XCTAssertEqual(lines.count, log.count)
            XCTAssertGreaterThan(lines.count, 100)
            let check = TraceDigest()
            check.update(text)
            XCTAssertEqual(metrics.decisionDigest, check.finalize(), "the digest is the SHA-256 of the file")
            XCTAssertEqual(RunSummary(scenario: scenario, metrics: metrics).decisionDigest, metrics.decisionDigest)
            // Model times only, in order; the run reverts, launches and finishes applications.
            let times = lines.map { Double($0.split(separator: " ")[0])! }
            XCTAssertEqual(times, times.sorted())
            XCTAssertTrue(lines.contains { $0.contains(" hypervisor ") && $0.contains("op=revert") })
            XCTAssertTrue(lines.contains { $0.contains(" launch object=0 ") })
            XCTAssertEqual(lines.filter { $0.contains("report applicationFinished") }.count, metrics.applicationsSubmitted)
            digests.append(metrics.decisionDigest)
        }
        XCTAssertEqual(digests[0], digests[1], "same seed, same decisions")
        var other = Simulation(scenario: { var s = scenario; s.seed += 1; return s }())
        other.decisions = DecisionLog()
        XCTAssertNotEqual(other.run().decisionDigest, digests[0])
        var none = Simulation(scenario: scenario)
        XCTAssertEqual(none.run().decisionDigest, "-", "no log kept, no digest")
    }

    static var root: String {
        PackagePaths.root.path
    }
}
