import Foundation
import Model
import Sim
import XCTest
@testable import Real

/// The real driver writes the same decision log as the simulator, from the one place it drains Model's actions.
extension RealDriverTests {
    func testTheRealDriverWritesADecisionLogWhoseDigestIsInTheSummary() throws {
        let scenario = try scenario(Self.small)
        registerWorkers(of: scenario)
        let logs = LogLines()
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("real-decisions-\(getpid()).log").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let decisions = try DecisionLog(path: path)
        let driver = try RealDriver(scenario: scenario, options: options(logs), connection: connection,
                                    decisions: decisions)
        let result = try driver.run()
        try decisions.commit()
        XCTAssertEqual(result.outcome, .completed, logs.all.joined(separator: "\n"))

        let text = try String(contentsOfFile: path, encoding: .utf8)
        let lines = text.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, decisions.count)
        let check = TraceDigest()
        check.update(text)
        XCTAssertEqual(result.metrics.decisionDigest, check.finalize())
        XCTAssertEqual(RunSummary(scenario: scenario, metrics: result.metrics).decisionDigest, result.metrics.decisionDigest)
        // Model time first, never decreasing; no domain names or wall times.
        let times = lines.map { Double($0.split(separator: " ")[0]) }
        XCTAssertFalse(times.contains(nil), "\(lines.prefix(3))")
        XCTAssertEqual(times.compactMap { $0 }, times.compactMap { $0 }.sorted())
        XCTAssertFalse(text.contains("worker"), "no libvirt names in the log")
        // Start-up reverts of the four workers, then 4 applications of 2 objects launched and finished.
        let reverts = lines.filter { $0.contains(" hypervisor ") && $0.contains("op=revert") }
        XCTAssertEqual(Set(reverts.prefix(4).map { String($0.split(separator: " ")[2]) }),
                       Set((0..<4).map { "vm=\($0)" }))
        XCTAssertEqual(Set(lines.filter { $0.contains(" launch ") }.map { String($0.split(separator: " ")[2]) }),
                       Set((0..<8).map { "object=\($0)" }))
        XCTAssertEqual(lines.filter { $0.contains("report applicationFinished") && $0.contains("succeeded=true") }.count, 4)
    }
}
